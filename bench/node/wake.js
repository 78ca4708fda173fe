'use strict';
// The Node.js side of `bench --only e2e-wake` (bench/E2eWake.cs): Microsoft's official device SDK waking up as a
// battery device would with no cache of its own: DPS registration (azure-iot-provisioning-device over HTTPS, symmetric
// key), MQTT connect, `count` QoS 1 messages, close. Prints one JSON line: firstMs (start to the first sendEvent
// callback) and sentMs (start to every message confirmed and the client closed), both without waitedMs, the time the
// provisioning client waited between its polls.
//
//   node wake.js '{"dpsPort":…,"idScope":…,"registrationId":…,"key":…,"caPath":…,"mqttPort":…,"count":5,"payload":"…"}'
//
// TLS is verified against the emulator's CA. The key arrives in argv from the parent process and is never printed.

const fs = require('node:fs');
const https = require('node:https');
const { Client, Message } = require('azure-iot-device');
const { Mqtt } = require('azure-iot-device-mqtt');
const { Http: HttpBase } = require('azure-iot-http-base');
const { ProvisioningDeviceClient } = require('azure-iot-provisioning-device');
const { Http: ProvisioningHttp } = require('azure-iot-provisioning-device-http');
const { SymmetricKeySecurityClient } = require('azure-iot-security-symmetric-key');

const config = JSON.parse(process.argv[2]);

// The provisioning client waits between its status polls with setTimeout; timers of 100 ms or more that fire during
// register() are added up, so the DPS work can be reported without the waits (as the SDK's are).
let waitedMs = 0;
let registering = false;
const realSetTimeout = global.setTimeout;
global.setTimeout = (fn, delay, ...args) => realSetTimeout((...a) => {
  if (registering && delay >= 100) waitedMs += delay;
  fn(...a);
}, delay, ...args);

/** Sends DPS requests to the emulator's port; the host name, TLS server name and certificate checks stay as they are. */
class EmulatorDpsAgent extends https.Agent {
  createConnection(options, callback) {
    return super.createConnection({ ...options, port: config.dpsPort }, callback);
  }
}

function send(client, payload) {
  return new Promise((resolve, reject) => {
    const message = new Message(payload);
    message.contentType = 'application/json';
    message.contentEncoding = 'utf-8';
    client.sendEvent(message, (err) => (err ? reject(err) : resolve()));
  });
}

async function main() {
  const ca = fs.readFileSync(config.caPath, 'utf8');
  const t0 = process.hrtime.bigint();
  const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
  const httpBase = new HttpBase();
  httpBase.setOptions({ ca, http: { agent: new EmulatorDpsAgent({ keepAlive: false }) } });
  const provisioning = ProvisioningDeviceClient.create('localhost', config.idScope, new ProvisioningHttp(httpBase),
    new SymmetricKeySecurityClient(config.registrationId, config.key));
  registering = true;
  const result = await provisioning.register();
  registering = false;
  const connectionString = `HostName=${result.assignedHub};DeviceId=${result.deviceId};SharedAccessKey=${config.key};GatewayHostName=localhost:${config.mqttPort}`;
  const client = Client.fromConnectionString(connectionString, Mqtt);
  await client.setOptions({ ca });
  await client.open();
  await send(client, config.payload);
  const firstMs = ms();
  for (let i = 1; i < config.count; i++) await send(client, config.payload);
  await client.close();
  process.stdout.write(JSON.stringify({ firstMs: firstMs - waitedMs, waitedMs, sentMs: ms() - waitedMs }) + '\n');
  process.exit(0);
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({ error: err && err.message ? err.message : String(err) }) + '\n');
  process.exit(1);
});
