using System.Text;

namespace EdgeOS.Samples.Click.Language;

/// <summary>Token kinds; single-character tokens use the character's code.</summary>
internal static class LexemeKind
{
    public const int Eof = 0;
    public const int Ident = 256;
    public const int Variable = 257;
    public const int Arrow = 258;
    public const int TwoArrow = 259;
    public const int TwoColon = 260;
    public const int TwoBar = 261;
    public const int ThreeDot = 262;
    public const int Elementclass = 263;
    public const int Require = 264;
    public const int Provide = 265;
    public const int Define = 266;

    /// <summary>How Click names a token kind in <c>expected ...</c> messages.</summary>
    public static string Describe(int kind) => kind switch
    {
        Ident => "identifier",
        Variable => "variable",
        Arrow => "'->'",
        TwoArrow => "'=>'",
        TwoColon => "'::'",
        TwoBar => "'||'",
        ThreeDot => "'...'",
        Elementclass => "'elementclass'",
        Require => "'require'",
        Provide => "'provide'",
        Define => "'define'",
        >= 32 and < 127 => $"'{(char)kind}'",
        _ => $"'\\{kind:D3}'",
    };
}

/// <summary>One token: its kind and its text (a variable's text omits the <c>$</c>).</summary>
internal readonly record struct Lexeme(int Kind, string Text)
{
    public static Lexeme Eof => new(LexemeKind.Eof, string.Empty);

    public bool Is(int kind) => Kind == kind;
}

/// <summary>
/// The text being lexed and the position in it: file name (changed by <c># LINE "file"</c> directives),
/// line number and offset. Click's lexer reports every message at the line of the last character it has
/// read, so the parser reads tokens in the same order to get the same line numbers.
/// </summary>
internal sealed class LexerFile
{
    private readonly string _text;

    public LexerFile(string text, string fileName)
    {
        _text = text;
        FileName = fileName;
        OriginalFileName = fileName;
        Line = 1;
    }

    public string Text => _text;

    public int Position { get; set; }

    public string FileName { get; set; }

    public string OriginalFileName { get; }

    public int Line { get; set; }

    public ClickLandmark Landmark => new(FileName, Line);

    private int End => _text.Length;

    private static bool IsWordChar(char c) => ClickConfigText.IsAlnum(c) || c == '_' || c == '@';

    private int SkipLine(int s)
    {
        Line++;
        for (; s < End; s++)
        {
            if (_text[s] == '\n')
            {
                return s + 1;
            }

            if (_text[s] == '\r')
            {
                return s + 1 < End && _text[s + 1] == '\n' ? s + 2 : s + 1;
            }
        }

        Line--;
        return s;
    }

    // Counts the line ended at s ("\n", "\r" or "\r\n") and returns the index of its last character.
    private int SkipNewline(int s)
    {
        Line++;
        return _text[s] == '\r' && s + 1 < End && _text[s + 1] == '\n' ? s + 1 : s;
    }

    private int SkipSlashStar(int s)
    {
        for (; s < End; s++)
        {
            char c = _text[s];
            if (c is '\n' or '\r')
            {
                s = SkipNewline(s);
            }
            else if (c == '*' && s + 1 < End && _text[s + 1] == '/')
            {
                return s + 2;
            }
        }

        return End;
    }

    private int SkipBackslashAngle(int s)
    {
        for (; s < End; s++)
        {
            char c = _text[s];
            if (c is '\n' or '\r')
            {
                s = SkipNewline(s);
            }
            else if (c == '/' && s + 1 < End)
            {
                if (_text[s + 1] == '/')
                {
                    s = SkipLine(s + 2) - 1;
                }
                else if (_text[s + 1] == '*')
                {
                    s = SkipSlashStar(s + 2) - 1;
                }
            }
            else if (c == '>')
            {
                return s + 1;
            }
        }

        return End;
    }

    private int SkipQuote(int s, char endChar)
    {
        for (; s < End; s++)
        {
            char c = _text[s];
            if (c is '\n' or '\r')
            {
                s = SkipNewline(s);
            }
            else if (c == '\\' && endChar == '"' && s + 1 < End)
            {
                if (_text[s + 1] == '<')
                {
                    s = SkipBackslashAngle(s + 2) - 1;
                }
                else
                {
                    s++;
                }
            }
            else if (c == endChar)
            {
                return s + 1;
            }
        }

        return End;
    }

    // Handles "# LINE "file"" and "#line LINE "file"" at the start of a line; returns the index of the
    // end-of-line character so that the caller counts that newline.
    private int ProcessLineDirective(int s, ClickParser parser)
    {
        for (s++; s < End && (_text[s] == ' ' || _text[s] == '\t'); s++)
        {
        }

        if (s + 4 < End && string.CompareOrdinal(_text, s, "line", 0, 4) == 0 && (_text[s + 4] == ' ' || _text[s + 4] == '\t'))
        {
            for (s += 5; s < End && (_text[s] == ' ' || _text[s] == '\t'); s++)
            {
            }
        }

        if (s >= End || _text[s] is < '0' or > '9')
        {
            parser.LexError("unknown preprocessor directive");
            return SkipLine(s);
        }

        long line = 0;
        for (; s < End && _text[s] is >= '0' and <= '9'; s++)
        {
            line = Math.Min((line * 10) + (_text[s] - '0'), int.MaxValue);
        }

        // The newline that ends the directive line counts one more.
        Line = (int)line - 1;

        for (; s < End && (_text[s] == ' ' || _text[s] == '\t'); s++)
        {
        }

        if (s < End && _text[s] == '"')
        {
            int first = s;
            for (s++; s < End && _text[s] != '"' && _text[s] != '\n' && _text[s] != '\r'; s++)
            {
                if (_text[s] == '\\' && s + 1 < End && _text[s + 1] != '\n' && _text[s + 1] != '\r')
                {
                    s++;
                }
            }

            string name = ClickConfigText.Unquote(_text[first..s] + "\"");
            FileName = name.Length == 0 ? OriginalFileName : name;
        }

        for (; s < End && _text[s] != '\n' && _text[s] != '\r'; s++)
        {
        }

        if (s + 1 < End && _text[s] == '\r' && _text[s + 1] == '\n')
        {
            s++;
        }

        return s;
    }

    /// <summary>Reads the next token, skipping space, comments and line directives.</summary>
    public Lexeme Next(ClickParser parser)
    {
        int s = Position;
        while (true)
        {
            while (s < End && ClickConfigText.IsSpace(_text[s]))
            {
                if (_text[s] == '\n')
                {
                    Line++;
                }
                else if (_text[s] == '\r')
                {
                    if (s + 1 < End && _text[s + 1] == '\n')
                    {
                        s++;
                    }

                    Line++;
                }

                s++;
            }

            if (s >= End)
            {
                Position = End;
                return Lexeme.Eof;
            }

            if (_text[s] == '/' && s + 1 < End)
            {
                if (_text[s + 1] == '/')
                {
                    s = SkipLine(s + 2);
                }
                else if (_text[s + 1] == '*')
                {
                    s = SkipSlashStar(s + 2);
                }
                else
                {
                    break;
                }
            }
            else if (_text[s] == '#' && (s == 0 || _text[s - 1] == '\n' || _text[s - 1] == '\r'))
            {
                s = ProcessLineDirective(s, parser);
            }
            else
            {
                break;
            }
        }

        int wordPos = s;
        if (IsWordChar(_text[s]))
        {
            // Identifiers may contain single slashes between word characters ("a/b"), never "//".
            s++;
            while (true)
            {
                while (s < End && IsWordChar(_text[s]))
                {
                    s++;
                }

                if (s + 1 < End && _text[s] == '/' && IsWordChar(_text[s + 1]))
                {
                    s++;
                    continue;
                }

                break;
            }

            Position = s;
            string word = _text[wordPos..s];
            return word switch
            {
                "elementclass" => new Lexeme(LexemeKind.Elementclass, word),
                "require" => new Lexeme(LexemeKind.Require, word),
                "provide" => new Lexeme(LexemeKind.Provide, word),
                "define" => new Lexeme(LexemeKind.Define, word),
                _ => new Lexeme(LexemeKind.Ident, word),
            };
        }

        if (_text[s] == '$')
        {
            s++;
            while (s < End && (ClickConfigText.IsAlnum(_text[s]) || _text[s] == '_'))
            {
                s++;
            }

            Position = s;
            return new Lexeme(LexemeKind.Variable, _text[(wordPos + 1)..s]);
        }

        if (s + 1 < End)
        {
            int kind = (_text[s], _text[s + 1]) switch
            {
                ('-', '>') => LexemeKind.Arrow,
                ('=', '>') => LexemeKind.TwoArrow,
                (':', ':') => LexemeKind.TwoColon,
                ('|', '|') => LexemeKind.TwoBar,
                _ => 0,
            };
            if (kind != 0)
            {
                Position = s + 2;
                return new Lexeme(kind, _text.Substring(s, 2));
            }
        }

        if (s + 2 < End && _text[s] == '.' && _text[s + 1] == '.' && _text[s + 2] == '.')
        {
            Position = s + 3;
            return new Lexeme(LexemeKind.ThreeDot, "...");
        }

        Position = s + 1;
        return new Lexeme(_text[s], _text.Substring(s, 1));
    }

    /// <summary>
    /// Reads a configuration string: everything up to the parenthesis that balances the one just read.
    /// Parentheses inside quotes, comments and <c>\&lt;...&gt;</c> do not count; line directives are removed.
    /// The closing parenthesis is left for the caller.
    /// </summary>
    public string LexConfig(ClickParser parser)
    {
        int configPos = Position;
        int s = Position;
        int depth = 1;
        var result = new StringBuilder();
        for (; s < End; s++)
        {
            char c = _text[s];
            if (c == '(')
            {
                depth++;
            }
            else if (c == ')')
            {
                if (--depth == 0)
                {
                    break;
                }
            }
            else if (c is '\n' or '\r')
            {
                s = SkipNewline(s);
            }
            else if (c == '#' && s > 0 && (_text[s - 1] == '\n' || _text[s - 1] == '\r'))
            {
                result.Append(_text, configPos, s - configPos);
                s = ProcessLineDirective(s, parser) - 1;
                configPos = s + 1;
            }
            else if (c == '/' && s + 1 < End)
            {
                if (_text[s + 1] == '/')
                {
                    s = SkipLine(s + 2) - 1;
                }
                else if (_text[s + 1] == '*')
                {
                    s = SkipSlashStar(s + 2) - 1;
                }
            }
            else if (c is '\'' or '"')
            {
                s = SkipQuote(s + 1, c) - 1;
            }
            else if (c == '\\' && s + 1 < End && _text[s + 1] == '<')
            {
                s = SkipBackslashAngle(s + 2) - 1;
            }
        }

        if (s > End)
        {
            s = End;
        }

        Position = s;
        result.Append(_text, configPos, s - configPos);
        return result.ToString();
    }
}
