// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;

namespace nanoFramework.Iotc.Pump
{
    /// <summary>
    /// Every retry-or-give-up decision of the SDK, as pure functions of a status and a count, with its limits named.
    /// A try is counted one way everywhere: the tries made so far, so the wait after the first failed try is
    /// <see cref="Delay"/>(1, …) and another try is allowed while <see cref="MayTryAgain"/>(tries made, limit).
    /// <list type="bullet">
    /// <item>Final (<see cref="IsFinal(int)"/>): a refusal retrying cannot fix ends the connection (GaveUp, or
    /// <see cref="IotcException.IsFinal"/>): CONNACK 1/2, DPS 400/401/403/404, credentials or TLS settings the transport
    /// cannot use (-9), and a key the hub refuses <see cref="GiveUpAfterKeyRefusals"/> times in a row (the last right after
    /// a fresh DPS assignment: a revoked or disabled device stops within seconds, not minutes).</item>
    /// <item>Everything else is tried again after a back-off that escalates with each failure in a row (<see cref="Delay"/>:
    /// doubling from the minimum to the maximum, ±20 % jitter): network and TLS failures, DPS busy, CONNACK 3, a refusal
    /// of the key; a clock that is not set (-8) too, since SNTP sets it later.</item>
    /// <item>Retriable (<see cref="IsRetriable"/>): 429 and 5xx ask for the same request again later (DPS after its
    /// Retry-After, clamped by <see cref="RetryAfterSeconds"/>; a twin request after a back-off).</item>
    /// <item>Provision again (<see cref="ShouldReprovision"/>): after <see cref="ReprovisionAfterKeyRefusals"/> key
    /// refusals or <see cref="ReprovisionAfterNetworkFailures"/> network failures in a row at the assigned hub; a stored
    /// assignment is dropped at once when its hub refuses or cannot be reached (<see cref="ForgetsStoredHub"/>).</item>
    /// <item>A lost connection starts the back-off over when it did useful work or lasted the stable time
    /// (<see cref="LossStartsOver"/>); otherwise it escalates (no storm when two devices share an identity).</item>
    /// </list>
    /// </summary>
    internal static class RetryPolicy
    {
        /// <summary>Refusals of the key (CONNACK 4/5) in a row before provisioning again: the device may have moved or been re-keyed.</summary>
        internal const int ReprovisionAfterKeyRefusals = 2;

        /// <summary>Refusals of the key in a row before giving up: the last one came right after a fresh DPS assignment.</summary>
        internal const int GiveUpAfterKeyRefusals = 3;

        /// <summary>Failed attempts to reach the assigned hub in a row before asking DPS again.</summary>
        internal const int ReprovisionAfterNetworkFailures = 5;

        /// <summary>DPS requests (register + polls) of one registration before giving up.</summary>
        internal const int MaxDpsRequests = 20;

        /// <summary>Wait when DPS gives no Retry-After (seconds).</summary>
        internal const int DefaultRetryAfterSeconds = 3;

        /// <summary>Shortest wait DPS's Retry-After may ask for (seconds): 0 would poll in a tight loop.</summary>
        internal const int MinRetryAfterSeconds = 1;

        /// <summary>Longest wait DPS's Retry-After may ask for (seconds): a broken or hostile answer cannot park the device.</summary>
        internal const int MaxRetryAfterSeconds = 60;

        /// <summary>Publishes of one reported patch (property or settings ack) before it is given up (reported as 408 or the last status).</summary>
        internal const int MaxTwinAttempts = 5;

        /// <summary>
        /// Publishes of one message that may throw before it is given up (MessageSent <see cref="IotcStatus.PublishRefused"/>):
        /// a message the transport keeps refusing would otherwise mean a reconnect per attempt, forever, with every later
        /// message stuck behind it.
        /// </summary>
        internal const int MaxPublishFailures = 3;

        /// <summary>Wait before publishing again a message refused while the link stayed up (e.g. out of memory on a board).</summary>
        internal const int RefusedRetryMs = 1000;

        /// <summary>The jitter is ±1/<c>JitterDivisor</c> of the nominal wait (±20 %).</summary>
        internal const int JitterDivisor = 5;

        /// <summary>Throttled (429) or a service fault (5xx): the same request may succeed later. Used for DPS and twin requests.</summary>
        internal static bool IsRetriable(int status)
        {
            return status == 429 || (status >= 500 && status < 600);
        }

        /// <summary>
        /// A refusal retrying cannot fix, whatever came before: CONNACK 1/2, DPS 400/401/403/404, credentials or TLS
        /// settings the transport cannot use. A clock that is not set is not one of them: SNTP sets it later.
        /// </summary>
        internal static bool IsFinal(int status)
        {
            return status == 1 || status == 2 || status == 400 || status == 401 || status == 403 || status == 404 || status == IotcStatus.InvalidCredential;
        }

        /// <summary>Final as <see cref="IsFinal(int)"/>, or a key refusal that is the <see cref="GiveUpAfterKeyRefusals"/>th in a row.</summary>
        internal static bool IsFinal(int status, int keyRefusals)
        {
            return IsFinal(status) || (IsKeyRefusal(status) && keyRefusals >= GiveUpAfterKeyRefusals);
        }

        /// <summary>CONNACK 4 (bad user name or password) or 5 (not authorized): the hub refused the key or token.</summary>
        internal static bool IsKeyRefusal(int status)
        {
            return status == 4 || status == 5;
        }

        /// <summary>Ask DPS again instead of the assigned hub: it kept refusing the key, or could not be reached.</summary>
        internal static bool ShouldReprovision(int keyRefusals, int networkFailures)
        {
            return keyRefusals >= ReprovisionAfterKeyRefusals || networkFailures >= ReprovisionAfterNetworkFailures;
        }

        /// <summary>A stored DPS assignment whose hub refused the device (CONNACK 1-5) or could not be reached is forgotten, and DPS asked.</summary>
        internal static bool ForgetsStoredHub(int status)
        {
            return status == IotcStatus.NetworkError || (status >= 1 && status <= 5);
        }

        /// <summary>Another try is allowed after <paramref name="triesMade"/> tries when the limit is not reached.</summary>
        internal static bool MayTryAgain(int triesMade, int maxTries)
        {
            return triesMade < maxTries;
        }

        /// <summary>
        /// A lost connection starts the back-off over (the next wait is the minimum) when it lasted the stable time or did
        /// useful work (a network that drops after moving messages); one that died before either escalates it.
        /// </summary>
        internal static bool LossStartsOver(long connectedMilliseconds, int minStableMilliseconds, bool usefulWork)
        {
            return usefulWork || connectedMilliseconds >= minStableMilliseconds;
        }

        /// <summary>
        /// The wait after <paramref name="failures"/> failed tries in a row (1 = the first; less counts as 1):
        /// min·2^(failures-1) capped at max, then ±20 % drawn from <paramref name="jitter"/> (none below 5 ms).
        /// </summary>
        internal static int Delay(int failures, int minMilliseconds, int maxMilliseconds, Random jitter)
        {
            long delay = minMilliseconds;
            for (int i = 1; i < failures && delay < maxMilliseconds; i++)
            {
                delay *= 2;
            }

            if (delay > maxMilliseconds)
            {
                delay = maxMilliseconds;
            }

            long spread = delay / JitterDivisor;
            if (spread > 0)
            {
                delay += jitter.Next((int)(2 * spread + 1)) - spread;
            }

            return (int)delay;
        }

        /// <summary>DPS's Retry-After in seconds (negative: none given) as the wait to use: the default when absent, within 1..60 s.</summary>
        internal static int RetryAfterSeconds(int given)
        {
            if (given < 0)
            {
                return DefaultRetryAfterSeconds;
            }

            if (given < MinRetryAfterSeconds)
            {
                return MinRetryAfterSeconds;
            }

            return given > MaxRetryAfterSeconds ? MaxRetryAfterSeconds : given;
        }
    }
}
