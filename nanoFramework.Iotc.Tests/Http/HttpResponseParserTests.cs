// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using nanoFramework.Iotc.Http;
using nanoFramework.Iotc.Text;
using nanoFramework.Iotc.Transport;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Http
{
    [TestClass]
    public class HttpResponseParserTests
    {
        private const int MaxBody = 4096;

        // Valid responses, each with what it must parse to: status, body, Retry-After, keep-alive.
        private static readonly string[] Valid =
        {
            "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nRetry-After: 3\r\nContent-Length: 16\r\n\r\n{\"status\":\"ok\"}\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n19 \t; x\r\n, chunked with extensions\r\n0\r\nX-Trailer: t\r\n\r\n",
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 429 Too Many Requests\r\nRetry-After:\r\n  \t7\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.0 200 OK\nServer: bare-lf\n\nread to the close \u00E9\u20AC\uD83D\uDE00",
            "HTTP/1.1 204 No Content\r\nConnection: keep-alive, close\r\n\r\n",
        };

        private static readonly int[] ValidStatus = { 202, 200, 429, 200, 204 };
        private static readonly string[] ValidBody = { "{\"status\":\"ok\"}\n", "hello, chunked with extensions", string.Empty, "read to the close \u00E9\u20AC\uD83D\uDE00", string.Empty };
        private static readonly int[] ValidRetryAfter = { 3, -1, 7, -1, -1 };
        private static readonly bool[] ValidKeepAlive = { true, true, true, false, false };

        private static uint _seed;

        [TestMethod]
        public void ContentLength_Body_IsReadExactly_AndBytesAfterItAreNotUsed()
        {
            byte[] wire = Utf8.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\n");
            HttpResponseParser parser = new HttpResponseParser(MaxBody, false);
            int used;
            Assert.AreEqual((int)HttpParseResult.Done, (int)parser.Feed(wire, 0, wire.Length, out used));
            Assert.AreEqual(wire.Length - 17, used);
            Assert.AreEqual(200, parser.StatusCode);
            Assert.AreEqual("hello", parser.ToResponse().Body);
            Assert.IsTrue(parser.KeepAlive);

            // Done stays done: nothing more is read.
            Assert.AreEqual((int)HttpParseResult.Done, (int)parser.Feed(wire, used, wire.Length - used, out used));
            Assert.AreEqual(0, used);
            Assert.AreEqual((int)HttpParseResult.Done, (int)parser.Finish());
        }

        [TestMethod]
        public void EverySplit_GivesTheSameResponse()
        {
            // Whole, one byte at a time, and 40 random splits per response (fixed seed, so every run feeds the same chunks).
            _seed = 0x2545F491;
            for (int r = 0; r < Valid.Length; r++)
            {
                byte[] wire = Utf8.GetBytes(Valid[r]);
                for (int run = -2; run < 40; run++)
                {
                    HttpResponseParser parser = new HttpResponseParser(MaxBody, false);
                    HttpParseResult result = HttpParseResult.NeedMore;
                    int at = 0;
                    while (at < wire.Length && result == HttpParseResult.NeedMore)
                    {
                        int size = run == -2 ? wire.Length : run == -1 ? 1 : 1 + (int)(Next() % 23);
                        size = size > wire.Length - at ? wire.Length - at : size;
                        int used;
                        result = parser.Feed(wire, at, size, out used);
                        Assert.IsTrue(used == size || result == HttpParseResult.Done, "a chunk is only left unread after the end");
                        at += used;
                    }

                    if (result == HttpParseResult.NeedMore)
                    {
                        result = parser.Finish();
                    }

                    string where = "response " + r.ToString() + ", run " + run.ToString();
                    Assert.AreEqual((int)HttpParseResult.Done, (int)result, where);
                    Assert.AreEqual(wire.Length, at, where);
                    HttpResponse response = parser.ToResponse();
                    Assert.AreEqual(ValidStatus[r], response.StatusCode, where);
                    Assert.AreEqual(ValidBody[r], response.Body, where);
                    Assert.AreEqual(ValidRetryAfter[r], response.RetryAfterSeconds, where);
                    Assert.AreEqual(ValidKeepAlive[r], parser.KeepAlive, where);
                }
            }
        }

        [TestMethod]
        public void HostileResponses_FailTheSameWay_WhateverTheSplit()
        {
            string[] wires =
            {
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nG\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n",
                "HTTP/1.1 200 OK\r\nX: " + new string('h', 9000),
                "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort",
            };
            int[] errors = { (int)HttpParseError.ChunkSyntax, (int)HttpParseError.ContentLength, (int)HttpParseError.HeadersTooLarge, (int)HttpParseError.BodyTooLarge, (int)HttpParseError.Truncated };
            _seed = 0x9E3779B9;
            for (int w = 0; w < wires.Length; w++)
            {
                byte[] wire = Utf8.GetBytes(wires[w]);
                for (int run = -2; run < 20; run++)
                {
                    HttpResponseParser parser = new HttpResponseParser(MaxBody, false);
                    HttpParseResult result = HttpParseResult.NeedMore;
                    for (int at = 0; at < wire.Length && result == HttpParseResult.NeedMore;)
                    {
                        int size = run == -2 ? wire.Length : run == -1 ? 1 : 1 + (int)(Next() % 97);
                        int used;
                        result = parser.Feed(wire, at, size > wire.Length - at ? wire.Length - at : size, out used);
                        at += used;
                    }

                    Assert.AreEqual((int)HttpParseResult.Error, (int)parser.Finish(), "response " + w.ToString());
                    Assert.AreEqual(errors[w], (int)parser.Error, "response " + w.ToString() + ", run " + run.ToString());
                }
            }
        }

        [TestMethod]
        public void ReadToClose_NeedsTheEndOfTheStream()
        {
            HttpResponseParser parser = Feed("HTTP/1.1 200 OK\r\n\r\nabc", MaxBody);
            Assert.AreEqual((int)HttpParseResult.NeedMore, (int)Feed(parser, "def"));
            Assert.AreEqual((int)HttpParseResult.Done, (int)parser.Finish());
            Assert.AreEqual("abcdef", parser.ToResponse().Body);
            Assert.IsFalse(parser.KeepAlive, "a body that ends with the connection leaves no connection");

            parser = Feed("HTTP/1.1 200 OK\r\n\r\n0123456789", 9);
            Assert.AreEqual((int)HttpParseError.BodyTooLarge, (int)parser.Error);
        }

        [TestMethod]
        public void NoBody_For204_304_AndHead_WhateverContentLengthSays()
        {
            string[] wires = { "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n" };
            for (int i = 0; i < wires.Length; i++)
            {
                HttpResponseParser parser = Feed(wires[i] + "12345", MaxBody);
                Assert.AreEqual((int)HttpParseResult.Done, (int)parser.Feed(new byte[0], 0, 0, out _));
                Assert.AreEqual(0, parser.BodyLength);
                Assert.IsTrue(parser.KeepAlive);
            }

            HttpResponseParser head = new HttpResponseParser(16, true);
            Assert.AreEqual((int)HttpParseResult.Done, (int)Feed(head, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"));
            Assert.AreEqual(200, head.StatusCode);
            Assert.AreEqual(string.Empty, head.ToResponse().Body);
        }

        [TestMethod]
        public void Chunked_TrailersAreBoundedAndDropped()
        {
            HttpResponseParser parser = new HttpResponseParser(64, 2, MaxBody, false);
            Assert.AreEqual((int)HttpParseResult.Done, (int)Feed(parser, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nA: 1\r\nB: 2\r\n\r\n"));
            Assert.AreEqual("abc", parser.ToResponse().Body);

            parser = new HttpResponseParser(64, 2, MaxBody, false);
            Feed(parser, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n");
            Assert.AreEqual((int)HttpParseError.TooManyHeaders, (int)parser.Error);

            parser = new HttpResponseParser(64, 2, MaxBody, false);
            Feed(parser, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: " + new string('x', 80));
            Assert.AreEqual((int)HttpParseError.HeadersTooLarge, (int)parser.Error);
        }

        [TestMethod]
        public void Chunked_BadSizes_AreRejected()
        {
            string[] sizes = { "zz", string.Empty, "-1", "+5", "0x10", "5 x", "5\u00A0", ";ext" };
            for (int i = 0; i < sizes.Length; i++)
            {
                HttpResponseParser parser = Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + sizes[i] + "\r\nhello\r\n0\r\n\r\n", MaxBody);
                Assert.AreEqual((int)HttpParseError.ChunkSyntax, (int)parser.Error, "size '" + sizes[i] + "'");
            }

            // Well-formed but too large for the limit, or for any int: refused before a byte of it is stored.
            string[] huge = { "1001", "FFFFFFFFF", "7fffffff", "00000000000000000000001001" };
            for (int i = 0; i < huge.Length; i++)
            {
                HttpResponseParser parser = Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + huge[i] + "\r\n", MaxBody);
                Assert.AreEqual((int)HttpParseError.BodyTooLarge, (int)parser.Error, "size " + huge[i]);
            }

            // Chunks that add up past the limit.
            HttpResponseParser sum = Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n3\r\n", 10);
            Assert.AreEqual((int)HttpParseError.BodyTooLarge, (int)sum.Error);

            // A size line that never ends is bounded.
            HttpResponseParser endless = Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;" + new string('e', 2000), MaxBody);
            Assert.AreEqual((int)HttpParseError.ChunkSyntax, (int)endless.Error);
        }

        [TestMethod]
        public void Chunked_DataMustEndWithCrLf()
        {
            HttpResponseParser parser = Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n", MaxBody);
            Assert.AreEqual((int)HttpParseError.ChunkSyntax, (int)parser.Error);
            parser = Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\r\n0\r\n\r\n", MaxBody);
            Assert.AreEqual((int)HttpParseError.ChunkSyntax, (int)parser.Error);
        }

        [TestMethod]
        public void TransferEncoding_OnlyChunkedOnce_AndItWinsOverContentLength()
        {
            string[] bad = { "gzip", "gzip, chunked", "chunked, gzip", "identity" };
            for (int i = 0; i < bad.Length; i++)
            {
                HttpResponseParser parser = Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: " + bad[i] + "\r\n\r\n", MaxBody);
                Assert.AreEqual((int)HttpParseError.TransferEncoding, (int)parser.Error, bad[i]);
            }

            HttpResponseParser twice = Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", MaxBody);
            Assert.AreEqual((int)HttpParseError.TransferEncoding, (int)twice.Error);

            // RFC 9112 section 6.3: chunked framing is used, and the connection must not be reused.
            HttpResponseParser both = Feed("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: CHUNKED\r\n\r\n2\r\nok\r\n0\r\n\r\n", MaxBody);
            Assert.AreEqual((int)HttpParseResult.Done, (int)both.Finish());
            Assert.AreEqual("ok", both.ToResponse().Body);
            Assert.IsFalse(both.KeepAlive);
        }

        [TestMethod]
        public void ContentLength_NegativeMalformedConflictingOrHuge_IsRejected()
        {
            string[] malformed = { "-1", "+5", "5, 5", "0x10", "5 5", string.Empty, "\u0665" };
            for (int i = 0; i < malformed.Length; i++)
            {
                HttpResponseParser parser = Feed("HTTP/1.1 200 OK\r\nContent-Length: " + malformed[i] + "\r\n\r\nhello", MaxBody);
                Assert.AreEqual((int)HttpParseError.ContentLength, (int)parser.Error, "'" + malformed[i] + "'");
            }

            HttpResponseParser conflicting = Feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", MaxBody);
            Assert.AreEqual((int)HttpParseError.ContentLength, (int)conflicting.Error);

            HttpResponseParser repeated = Feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length:5\r\n\r\nhello", MaxBody);
            Assert.AreEqual((int)HttpParseResult.Done, (int)repeated.Finish());

            string[] huge = { "4097", "2147483648", "99999999999999999999999999999" };
            for (int i = 0; i < huge.Length; i++)
            {
                HttpResponseParser parser = Feed("HTTP/1.1 200 OK\r\nContent-Length: " + huge[i] + "\r\n\r\nhello", MaxBody);
                Assert.AreEqual((int)HttpParseError.BodyTooLarge, (int)parser.Error, huge[i]);
            }
        }

        [TestMethod]
        public void StatusLine_Malformed_IsRejected()
        {
            string[] lines = { "HTTP/2 200 OK", "HTTP/1.1 20 OK", "HTTP/1.1 200OK", "ICY 200 OK", "HTTP/1.1 600 Odd", "HTTP/1.1 099 Low", "HTTP/1.x 200 OK", "http/1.1 200 OK", "HTTP/1.1 2O0 OK", "HTTP/1.1 101 Switching Protocols", string.Empty };
            for (int i = 0; i < lines.Length; i++)
            {
                HttpResponseParser parser = Feed(lines[i] + "\r\nContent-Length: 0\r\n\r\n", MaxBody);
                Assert.AreEqual((int)HttpParseError.StatusLine, (int)parser.Error, "'" + lines[i] + "'");
            }

            HttpResponseParser noReason = Feed("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", MaxBody);
            Assert.AreEqual(200, noReason.StatusCode);
            Assert.AreEqual((int)HttpParseResult.Done, (int)noReason.Finish());
        }

        [TestMethod]
        public void HeaderLines_Malformed_AreRejected()
        {
            string[] lines = { "NoColon", ": empty name", "Content-Length : 5", "Bad Name: x", "(x): y" };
            for (int i = 0; i < lines.Length; i++)
            {
                HttpResponseParser parser = Feed("HTTP/1.1 200 OK\r\n" + lines[i] + "\r\n\r\n", MaxBody);
                Assert.AreEqual((int)HttpParseError.HeaderSyntax, (int)parser.Error, lines[i]);
            }

            // A folded line needs a header to continue.
            HttpResponseParser fold = Feed("HTTP/1.1 200 OK\r\n continued\r\n\r\n", MaxBody);
            Assert.AreEqual((int)HttpParseError.HeaderSyntax, (int)fold.Error);
        }

        [TestMethod]
        public void ObsFold_JoinsTheValue()
        {
            HttpResponseParser parser = Feed("HTTP/1.1 200 OK\r\nConnection:\r\n close\r\nContent-Length:\r\n\t 2\r\n\r\nok", MaxBody);
            Assert.AreEqual((int)HttpParseResult.Done, (int)parser.Finish());
            Assert.AreEqual("ok", parser.ToResponse().Body);
            Assert.IsFalse(parser.KeepAlive, "the folded Connection: close was read");
        }

        [TestMethod]
        public void Headers_OverTheLimits_FailWithoutWaitingForTheirEnd()
        {
            // A header line that never ends fails as soon as it passes the limit.
            HttpResponseParser parser = new HttpResponseParser(64, 8, MaxBody, false);
            Assert.AreEqual((int)HttpParseResult.Error, (int)Feed(parser, "HTTP/1.1 200 OK\r\nX-Long: " + new string('a', 60)));
            Assert.AreEqual((int)HttpParseError.HeadersTooLarge, (int)parser.Error);

            // The limit counts the status line, every header and the empty line: 64 bytes exactly is accepted.
            string exact = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX: " + new string('b', 21) + "\r\n\r\n";
            Assert.AreEqual(64, exact.Length);
            parser = new HttpResponseParser(64, 8, MaxBody, false);
            Assert.AreEqual((int)HttpParseResult.Done, (int)Feed(parser, exact));
            parser = new HttpResponseParser(63, 8, MaxBody, false);
            Assert.AreEqual((int)HttpParseResult.Error, (int)Feed(parser, exact));

            parser = new HttpResponseParser(1024, 3, MaxBody, false);
            Feed(parser, "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n");
            Assert.AreEqual((int)HttpParseError.TooManyHeaders, (int)parser.Error);

            // Endless folded lines count as header bytes too.
            parser = new HttpResponseParser(256, 3, MaxBody, false);
            string folds = "HTTP/1.1 200 OK\r\nA: 1\r\n";
            for (int i = 0; i < 40; i++)
            {
                folds += " more\r\n";
            }

            Feed(parser, folds);
            Assert.AreEqual((int)HttpParseError.HeadersTooLarge, (int)parser.Error);
        }

        [TestMethod]
        public void Truncated_Responses_AreErrorsAtTheEndOfTheStream()
        {
            string[] cuts =
            {
                "H",
                "HTTP/1.1 200 OK",
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhell",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n",
                "HTTP/1.1 100 Continue\r\n\r\n",
            };
            for (int i = 0; i < cuts.Length; i++)
            {
                HttpResponseParser parser = Feed(cuts[i], MaxBody);
                Assert.AreEqual((int)HttpParseResult.Error, (int)parser.Finish(), cuts[i]);
                Assert.AreEqual((int)HttpParseError.Truncated, (int)parser.Error, cuts[i]);
            }

            HttpResponseParser nothing = new HttpResponseParser(MaxBody, false);
            Assert.AreEqual((int)HttpParseResult.Error, (int)nothing.Finish());
            Assert.AreEqual((int)HttpParseError.NoResponse, (int)nothing.Error);
        }

        [TestMethod]
        public void SilentServer_LeavesTheParserWaiting_TheTimeoutIsTheTransports()
        {
            // No bytes, or a response that stops: the parser only ever says "need more"; it has no clock.
            HttpResponseParser parser = new HttpResponseParser(MaxBody, false);
            int used;
            for (int i = 0; i < 3; i++)
            {
                Assert.AreEqual((int)HttpParseResult.NeedMore, (int)parser.Feed(new byte[4], 2, 0, out used));
                Assert.AreEqual(0, used);
            }

            Assert.AreEqual((int)HttpParseResult.NeedMore, (int)Feed(parser, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc"));
            Assert.AreEqual((int)HttpParseResult.NeedMore, (int)parser.Feed(new byte[0], 0, 0, out used));
            Assert.AreEqual(3, parser.BodyLength);
        }

        [TestMethod]
        public void RetryAfter_SecondsOrDateAgainstTheResponsesDate()
        {
            string[] values = { "0", "120", "99999999999999", "3.5", "-1", "soon", "Sun, 06 Nov 1994 08:49:37 GMT" };
            int[] expected = { 0, 120, int.MaxValue, -1, -1, -1, -1 };
            for (int i = 0; i < values.Length; i++)
            {
                Assert.AreEqual(expected[i], RetryAfter("Retry-After: " + values[i]), values[i]);
            }

            // An HTTP-date is measured from the server's Date header, never from the device's clock.
            Assert.AreEqual(90, RetryAfter("Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nRetry-After: Sun, 06 Nov 1994 08:51:07 GMT"));
            Assert.AreEqual(1, RetryAfter("Retry-After: Wed, 01 Mar 2023 00:00:00 GMT\r\nDate: Tue, 28 Feb 2023 23:59:59 GMT"));
            Assert.AreEqual(2 * 86400, RetryAfter("Date: Mon, 28 Feb 2028 00:00:00 GMT\r\nRetry-After: Wed, 01 Mar 2028 00:00:00 GMT"));
            Assert.AreEqual(366 * 86400, RetryAfter("Date: Fri, 31 Dec 1999 00:00:00 GMT\r\nRetry-After: Sun, 31 Dec 2000 00:00:00 GMT"));
            Assert.AreEqual(0, RetryAfter("Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nRetry-After: Sat, 05 Nov 1994 08:49:37 GMT"));

            // A date folded over two lines is one value again, joined by one space (RFC 9112 section 5.2).
            Assert.AreEqual(90, RetryAfter("Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nRetry-After: Sun, 06 Nov 1994\r\n \t 08:51:07 GMT"));

            // The obsolete forms and broken dates are "absent": the caller's default applies.
            Assert.AreEqual(-1, RetryAfter("Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nRetry-After: Sunday, 06-Nov-94 08:49:37 GMT"));
            Assert.AreEqual(-1, RetryAfter("Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nRetry-After: Sun Nov  6 08:49:37 1994"));
            Assert.AreEqual(-1, RetryAfter("Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nRetry-After: Sun, 06 Nox 1994 08:49:37 GMT"));
            Assert.AreEqual(-1, RetryAfter("Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nRetry-After: Sun, 06 Nov 1994 24:49:37 GMT"));
            Assert.AreEqual(-1, RetryAfter("Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nRetry-After: Sun, 06 Nov 1994 08:49:37 UTC"));
        }

        [TestMethod]
        public void KeepAlive_FollowsVersionAndConnection()
        {
            string[] heads = { "HTTP/1.1 200 OK", "HTTP/1.1 200 OK\r\nConnection: close", "HTTP/1.1 200 OK\r\nConnection: Upgrade, CLOSE", "HTTP/1.0 200 OK", "HTTP/1.0 200 OK\r\nConnection: Keep-Alive", "HTTP/1.1 200 OK\r\nConnection: closed" };
            bool[] expected = { true, false, false, false, true, true };
            for (int i = 0; i < heads.Length; i++)
            {
                HttpResponseParser parser = Feed(heads[i] + "\r\nContent-Length: 2\r\n\r\nok", MaxBody);
                Assert.AreEqual((int)HttpParseResult.Done, (int)parser.Finish(), heads[i]);
                Assert.AreEqual(expected[i], parser.KeepAlive, heads[i]);
            }

            Assert.IsFalse(Feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\no", MaxBody).KeepAlive, "not before the end");
        }

        [TestMethod]
        public void Arguments_AreChecked()
        {
            HttpResponseParser parser = new HttpResponseParser(MaxBody, false);
            int used;
            Assert.ThrowsException(typeof(System.ArgumentNullException), () => parser.Feed(null, 0, 0, out used));
            Assert.ThrowsException(typeof(System.ArgumentOutOfRangeException), () => parser.Feed(new byte[4], 3, 2, out used));
            Assert.ThrowsException(typeof(System.ArgumentOutOfRangeException), () => parser.Feed(new byte[4], -1, 1, out used));
            Assert.ThrowsException(typeof(System.ArgumentOutOfRangeException), () => new HttpResponseParser(8, 1, 1, false));
            Assert.ThrowsException(typeof(System.ArgumentOutOfRangeException), () => new HttpResponseParser(-1, false));
        }

        private static int RetryAfter(string headers)
        {
            HttpResponseParser parser = Feed("HTTP/1.1 503 Busy\r\n" + headers + "\r\nContent-Length: 0\r\n\r\n", MaxBody);
            Assert.AreEqual((int)HttpParseResult.Done, (int)parser.Finish(), headers);
            return parser.ToResponse().RetryAfterSeconds;
        }

        private static HttpResponseParser Feed(string wire, int maxBody)
        {
            HttpResponseParser parser = new HttpResponseParser(maxBody, false);
            Feed(parser, wire);
            return parser;
        }

        private static HttpParseResult Feed(HttpResponseParser parser, string wire)
        {
            byte[] bytes = Utf8.GetBytes(wire);
            int used;
            return parser.Feed(bytes, 0, bytes.Length, out used);
        }

        private static uint Next()
        {
            // xorshift32: the same sequence on .NET and nanoCLR (System.Random differs between them).
            _seed ^= _seed << 13;
            _seed ^= _seed >> 17;
            _seed ^= _seed << 5;
            return _seed;
        }
    }
}
