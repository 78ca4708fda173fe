'use strict';
// The Node.js side of `bench --only e2e-telemetry` (bench/E2eBenchmarks.cs): Microsoft's official device SDK
// (azure-iot-device + azure-iot-device-mqtt, pinned in package-lock.json) sending QoS 1 telemetry to the IoT Central
// emulator. One connection for the whole run; the bench tells it on stdin when to send a round, so start-up, TLS and
// JIT are not in any round.
//
//   node send.js '{"gatewayHost":"localhost","port":8883,"hubHost":"localhost","deviceId":"bench-node","key":"…","caPath":"…/ca.pem"}'
//   stdin:  "run <count> <window> <payload>"  -> stdout: {"round":{"sent":n,"failed":k,"ms":t,"firstAt":…}}
//           "quit"                            -> closes the client and exits
//
// With "count", "window" and "payload" in the config it is one process of `bench --only e2e-fresh` (bench/E2eFresh.cs)
// instead: connect, send one round, close, print {"fresh":{…}} (when it got to its first line, had loaded the SDK, was
// connected, had the first and the last message confirmed, had closed: ms since the Unix epoch; its CPU ms at most of
// those points from process.cpuUsage(); peak RSS in KiB) and exit. The key then comes in IOTC_BENCH_KEY.
//
// TLS is verified against the emulator's CA (the SDK's `ca` option); the MQTT port comes from GatewayHostName in the
// connection string while the user name and the SAS keep HostName, as in tools/IotcEmulator.Conformance. The key
// arrives from the parent process (argv or environment) and is never printed.

// Before anything is loaded: the start of the script's own work, on the clock the bench shares (ms since the epoch).
const now = () => performance.timeOrigin + performance.now();
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const mainAt = now();
const cpuMain = cpuMs();

const fs = require('node:fs');
const readline = require('node:readline');
const { Client, Message } = require('azure-iot-device');
const { Mqtt } = require('azure-iot-device-mqtt');

const config = JSON.parse(process.argv[2]);
const loadedAt = now();
const cpuLoaded = cpuMs();

function reply(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

/** Sends `count` messages keeping `window` sendEvent calls outstanding; resolves when every callback has come back. */
function round(client, count, window, payload) {
  return new Promise((resolve) => {
    let started = 0;
    let done = 0;
    let failed = 0;
    let firstError;
    let firstAt;
    const t0 = process.hrtime.bigint();
    const next = () => {
      if (started >= count) return;
      started++;
      const message = new Message(payload);
      message.contentType = 'application/json';
      message.contentEncoding = 'utf-8';
      client.sendEvent(message, (err) => {
        if (done++ === 0) firstAt = now();
        if (err) {
          failed++;
          firstError = firstError || err.message;
        }
        if (done === count) {
          resolve({ sent: count - failed, failed, ms: Number(process.hrtime.bigint() - t0) / 1e6, error: firstError, firstAt });
        } else {
          next();
        }
      });
    };
    for (let i = 0; i < Math.min(window, count); i++) next();
  });
}

async function main() {
  const key = config.key || process.env.IOTC_BENCH_KEY;
  const connectionString = `HostName=${config.hubHost};DeviceId=${config.deviceId};SharedAccessKey=${key};GatewayHostName=${config.gatewayHost}:${config.port}`;
  const client = Client.fromConnectionString(connectionString, Mqtt);
  await client.setOptions({ ca: fs.readFileSync(config.caPath, 'utf8') });
  await client.open();
  if (config.count) {
    const connectedAt = now();
    const cpuConnected = cpuMs();
    const r = await round(client, config.count, config.window, config.payload);
    const doneAt = now();
    const cpuDone = cpuMs();
    await client.close();
    reply({
      fresh: {
        runtime: process.version, mainAt, loadedAt, connectedAt, firstAt: r.firstAt, doneAt, closedAt: now(),
        cpuMain, cpuLoaded, cpuConnected, cpuDone, cpuClosed: cpuMs(), maxRssKiB: process.resourceUsage().maxRSS, failed: r.failed, error: r.error,
      },
    });
    process.exit(0);
  }

  reply({ ready: true, node: process.version });

  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const [verb, count, window, ...rest] = line.trim().split(' ');
    if (verb === 'run') {
      reply({ round: await round(client, Number(count), Number(window), rest.join(' ')) });
    } else if (verb === 'quit') {
      break;
    }
  }
  await client.close();
  process.exit(0);
}

main().catch((err) => {
  reply({ error: err && err.message ? err.message : String(err) });
  process.exit(1);
});
