'use strict';
// The Node.js side of `bench --only e2e-telemetry` (bench/E2eBenchmarks.cs): Microsoft's official device SDK
// (azure-iot-device + azure-iot-device-mqtt, pinned in package-lock.json) sending QoS 1 telemetry to the IoT Central
// emulator. One connection for the whole run; the bench tells it on stdin when to send a round, so start-up, TLS and
// JIT are not in any round.
//
//   node send.js '{"gatewayHost":"localhost","port":8883,"hubHost":"localhost","deviceId":"bench-node","key":"…","caPath":"…/ca.pem"}'
//   stdin:  "run <count> <window> <payload>"  -> stdout: {"round":{"sent":n,"failed":k,"ms":t}}
//           "quit"                            -> closes the client and exits
//
// TLS is verified against the emulator's CA (the SDK's `ca` option); the MQTT port comes from GatewayHostName in the
// connection string while the user name and the SAS keep HostName, as in tools/IotcEmulator.Conformance. The key
// arrives in argv from the parent process and is never printed.

const fs = require('node:fs');
const readline = require('node:readline');
const { Client, Message } = require('azure-iot-device');
const { Mqtt } = require('azure-iot-device-mqtt');

const config = JSON.parse(process.argv[2]);

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
    const t0 = process.hrtime.bigint();
    const next = () => {
      if (started >= count) return;
      started++;
      const message = new Message(payload);
      message.contentType = 'application/json';
      message.contentEncoding = 'utf-8';
      client.sendEvent(message, (err) => {
        done++;
        if (err) {
          failed++;
          firstError = firstError || err.message;
        }
        if (done === count) {
          resolve({ sent: count - failed, failed, ms: Number(process.hrtime.bigint() - t0) / 1e6, error: firstError });
        } else {
          next();
        }
      });
    };
    for (let i = 0; i < Math.min(window, count); i++) next();
  });
}

async function main() {
  const connectionString = `HostName=${config.hubHost};DeviceId=${config.deviceId};SharedAccessKey=${config.key};GatewayHostName=${config.gatewayHost}:${config.port}`;
  const client = Client.fromConnectionString(connectionString, Mqtt);
  await client.setOptions({ ca: fs.readFileSync(config.caPath, 'utf8') });
  await client.open();
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
