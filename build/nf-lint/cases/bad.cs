// nf-lint self-test input: every finding nf-lint must report here is marked "/* expect: NF00x */" on its line;
// lines without a marker must stay silent. Compiled against the device mscorlib only (no other references).
namespace NfLintCases
{
    internal delegate char Pick(int i);

    internal static class Bad
    {
        private const string Digits = "0123456789abcdef";

        internal static int Loops(string s, char[] chars, int n)
        {
            int sum = s[0] + s.Length;                                 // once, outside a loop: fine
            for (int i = 0; i < s.Length; i++)                          /* expect: NF002 */
            {
                sum += s[i];                                            /* expect: NF001 */
            }

            for (int i = 0, end = s.Length; i < end; i += s.Length)     /* expect: NF002 */
            {
                sum += chars[i] + chars.Length;                         // char[]: fine
            }

            int k = 0;
            while (k < n && s[k] == ' ')                                /* expect: NF001 */
            {
                k++;
            }

            do
            {
                sum += s.Length + s[0];                                 /* expect: NF002 NF001 */
            }
            while (--k > 0);

            foreach (char c in s)                                       /* expect: NF004 */
            {
                sum += Digits[c & 15];                                  /* expect: NF001 */
            }

            foreach (char c in s.Substring(s.Length - 1).ToCharArray()) // the collection runs once: fine
            {
                Pick pick = j => s[j];                                  // a lambda runs when called: fine
                sum += pick(0) + c;
            }

            return sum;
        }

        internal static string Nul(string s, int n)
        {
            string a = "a\0b";                                          /* expect: NF003 */
            string b = "\u0000" + "\x0000" + @"\0";                     /* expect: NF003 NF003 */
            string c = $"n={n}\0";                                      /* expect: NF003 */
            string d = s + '\0' + new string('\0', n);                  /* expect: NF003 NF003 */
            d += '\0';                                                  /* expect: NF003 */
            bool e = s.IndexOf('\0') < 0;                               /* expect: NF003 */
            string f = "\\u0000 is only text";                          // an escaped backslash: fine
            return a + b + c + d + e + f;
        }

        internal static int Surrogates(string s)
        {
            string pair = "\uD83D\uDE00";                               // a whole pair: fine
            string lone = "x\uDE00";                                    /* expect: NF005 */
            return s.IndexOf('\uDE00') + s.LastIndexOf((char)0xD83D) + pair.Length + lone.Length; /* expect: NF005 NF005 */
        }

        internal static int Allows(string s)
        {
            int sum = 0;
            for (int i = 0; i < 3; i++)
            {
                // nf-lint: allow NF002 three iterations over a short name
                sum += s.Length;
                sum += s.Length; // nf-lint: allow NF002 same line
                sum += s.Length; /* expect: NF000 NF002 */ // nf-lint: allow NF002
                sum += s.Length; /* expect: NF000 NF002 */ // nf-lint: allow NF009 no such rule
                sum += i; /* expect: NF000 */ // nf-lint: allow NF001 suppresses nothing
            }

            return sum;
        }
    }
}
