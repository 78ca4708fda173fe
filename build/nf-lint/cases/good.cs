// nf-lint self-test input: the patterns the rules ask for; nf-lint must report nothing here.
namespace NfLintCases
{
    internal static class Good
    {
        private static readonly char[] HexDigits = "0123456789abcdef".ToCharArray();

        internal static int Scan(string s)
        {
            char[] chars = s.ToCharArray();                 // one linear, surrogate-correct copy
            int sum = 0;
            for (int i = 0; i < chars.Length; i++)
            {
                char c = chars[i];
                if (c == '\0' || c >= 0xD800 && c <= 0xDBFF) // a char compared with U+0000 or a surrogate: fine
                {
                    continue;
                }

                sum += HexDigits[c & 15];
            }

            foreach (char c in chars)
            {
                sum += c;
            }

            int length = s.Length;                          // once, before the loop
            for (int i = 0; i < 4 && i < length; i++)
            {
                sum += i;
            }

            return sum + s[0] + s.IndexOf('x');
        }

        internal static string Join(string a, string b)
        {
            return a + ':' + b + "\uD83D\uDE00";
        }

        internal static int Allowed(string[] names)
        {
            int n = 0;
            for (int i = 0; i < names.Length; i++)
            {
                // nf-lint: allow NF002 once per name, not per character
                n += names[i].Length;
                n += names[i][0] + names[i].Length; // nf-lint: allow NF001, NF002 index 0 needs no walk; once per name
            }

            return n;
        }
    }
}
