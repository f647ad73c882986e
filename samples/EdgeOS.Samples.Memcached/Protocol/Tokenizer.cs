using System.Runtime.CompilerServices;

namespace EdgeOS.Samples.Memcached.Protocol;

/// <summary>A token of a command line: where it starts and how long it is.</summary>
internal struct Token
{
    public int Start;
    public int Length;
}

/// <summary>Up to 24 tokens, memcached's MAX_TOKENS, on the stack.</summary>
[InlineArray(Tokenizer.TokensMax)]
internal struct TokenBuffer
{
    private Token _element0;
}

/// <summary>
/// memcached's tokenize_command: splits on ' ' only (other white space belongs to tokens), at most 23 tokens; the
/// count includes a final empty "terminal" token, and <see cref="Rest"/> says whether text was left unsplit.
/// </summary>
internal ref struct Tokenizer
{
    public const int TokensMax = 24;

    public TokenBuffer Tokens;
    public int Count;       // memcached's ntokens (includes the terminal token)
    public int Rest;        // start of the unsplit remainder, or -1

    public static Tokenizer Split(ReadOnlySpan<byte> line)
    {
        Tokenizer t = default;
        int n = 0;
        int s = 0;
        int i = 0;
        t.Rest = -1;
        for (; i < line.Length; i++)
        {
            if (line[i] == ' ')
            {
                if (s != i)
                {
                    t.Tokens[n++] = new Token { Start = s, Length = i - s };
                    if (n == TokensMax - 1)
                    {
                        i++;
                        s = i;
                        break;
                    }
                }

                s = i + 1;
            }
        }

        if (n == TokensMax - 1)
        {
            t.Rest = i < line.Length ? i : -1;
        }
        else if (s != i)
        {
            t.Tokens[n++] = new Token { Start = s, Length = i - s };
        }

        t.Tokens[n] = new Token { Start = line.Length, Length = 0 };
        t.Count = n + 1;
        return t;
    }
}
