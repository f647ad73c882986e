using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace EdgeOS.Core.Capabilities.Internal;

/// <summary>
/// Builds and throws the capability exceptions, so the hot methods stay small. Messages name the table, the
/// slot, the generation and rights, and never the target object (only, for a type mismatch, its type).
/// </summary>
internal static class CapabilityThrowHelper
{
    [DoesNotReturn]
    public static void ThrowInvalid(string table, in HandleDiagnosis diagnosis)
    {
        string message = diagnosis.Kind switch
        {
            HandleProblem.Null => $"The null (default) capability handle names no capability in table {table}.",
            HandleProblem.Foreign => Format(
                $"The capability handle for slot {diagnosis.Slot} was not issued by table {table}: it belongs to another table or was forged."),
            HandleProblem.OutOfRange => Format(
                $"The capability handle names slot {diagnosis.Slot}, outside table {table} (slots 1 to {diagnosis.SlotsMax}); it was forged or corrupted."),
            _ => Format(
                $"The capability handle for slot {diagnosis.Slot}, generation {diagnosis.Generation} was never issued by table {table}; it was forged or corrupted."),
        };
        throw new InvalidCapabilityException(message);
    }

    [DoesNotReturn]
    public static void ThrowStale(string table, in HandleDiagnosis diagnosis)
    {
        string why = diagnosis.ReusesSince > 0
            ? Format($"its slot has been reused {diagnosis.ReusesSince} time(s) since")
            : diagnosis.Death switch
            {
                CapabilityDeath.Revoked => "it was revoked (an ancestor capability was revoked or deleted)",
                CapabilityDeath.Deleted => "it was deleted",
                CapabilityDeath.Transferred => "it was transferred to another table; use the handle the transfer returned",
                CapabilityDeath.Cleared => "its table was cleared",
                _ => "it was revoked, deleted or transferred away",
            };
        throw new StaleCapabilityException(Format(
            $"The capability handle for slot {diagnosis.Slot}, generation {diagnosis.Generation} in table {table} is stale: {why}."));
    }

    [DoesNotReturn]
    public static void ThrowMissingRight(string table, CapabilityNode node, CapabilityRights required, string operation)
    {
        CapabilityRights missing = required & ~node.Rights;
        throw new CapabilityRightsException(Format(
            $"The capability in slot {node.Slot}, generation {CapabilityHandleLayout.Generation(node.Handle)} of table {table} holds rights [{node.Rights}] but {operation} needs [{required}] (missing: [{missing}])."));
    }

    [DoesNotReturn]
    public static void ThrowAmplification(string table, CapabilityNode node, CapabilityRights requested)
    {
        CapabilityRights extra = requested & ~node.Rights;
        throw new CapabilityRightsException(Format(
            $"Cannot derive rights [{requested}] from the capability in slot {node.Slot}, generation {CapabilityHandleLayout.Generation(node.Handle)} of table {table}, which holds only [{node.Rights}]: a derived capability may only drop rights (would add [{extra}])."));
    }

    [DoesNotReturn]
    public static void ThrowWrongType(string table, CapabilityNode node, Type requested)
    {
        throw new CapabilityTypeMismatchException(Format(
            $"The capability in slot {node.Slot}, generation {CapabilityHandleLayout.Generation(node.Handle)} of table {table} names an object of type {node.Target.GetType().FullName}, which is not a {requested.FullName}."));
    }

    [DoesNotReturn]
    public static void ThrowTableFull(string table, int count, int slotsMax, int retired)
    {
        string retiredNote = retired > 0 ? Format($" ({retired} slot(s) retired after exhausting their generations)") : string.Empty;
        throw new CapabilityTableFullException(Format(
            $"Capability table {table} is full: {count} capabilities in {slotsMax} slots{retiredNote}. Delete capabilities, or create the table with a larger SlotsMax."));
    }

    [DoesNotReturn]
    public static void ThrowReservedRights(CapabilityRights rights, string paramName)
    {
        uint reserved = (uint)rights & ~(uint)CapabilityRights.All;
        throw new ArgumentException(Format(
            $"Rights 0x{(uint)rights:X8} use reserved bits 0x{reserved:X8}: bits 8-15 are reserved for future system rights; application rights are bits 16-31 (User0 to User15)."),
            paramName);
    }

    [DoesNotReturn]
    public static void ThrowTransferToSameTable(string table, string paramName)
        => throw new ArgumentException(
            $"Cannot transfer a capability from table {table} to itself: the handle already names it there.", paramName);

    [DoesNotReturn]
    public static void ThrowSlotsMaxOutOfRange(int slotsMax, string paramName)
        => throw new ArgumentOutOfRangeException(paramName, slotsMax, Format(
            $"A capability table holds 1 to {CapabilityTable.SlotsMaxLimit} capabilities; {slotsMax} was asked."));

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>What is wrong with a handle that does not name a live capability of a table.</summary>
internal enum HandleProblem : byte
{
    Null,
    Foreign,
    OutOfRange,
    NeverIssued,
    Stale,
}

/// <summary>The diagnosis of a handle that does not name a live capability; see <c>CapabilityTable.Diagnose</c>.</summary>
internal readonly record struct HandleDiagnosis(
    HandleProblem Kind, int Slot, uint Generation, int SlotsMax, CapabilityDeath Death, uint ReusesSince)
{
    public CapabilityStatus Status => Kind == HandleProblem.Stale ? CapabilityStatus.Stale : CapabilityStatus.InvalidHandle;
}
