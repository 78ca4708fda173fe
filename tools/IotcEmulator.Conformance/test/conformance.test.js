'use strict';
// Conformance: Microsoft's official Node.js device SDK (azure-iot-device + azure-iot-device-mqtt, DPS through
// azure-iot-provisioning-device-http with symmetric keys) against the IoT Central emulator. Every test checks both
// sides: what the SDK reports and what the emulator's operator API recorded. TLS is verified against the emulator's CA.
//
// Ports: the SDK's MQTT transport connects to the connection string's GatewayHostName (host:port) while user name and
// SAS keep HostName; its DPS HTTP transport takes an https.Agent (azure-iot-http-base's `http.agent` option), which
// here connects to the emulator's DPS port. Nothing binds 443 or 8883.

const assert = require('node:assert/strict');
const https = require('node:https');
const { test, before, after } = require('node:test');

const { Client, Message, SharedAccessKeyAuthenticationProvider } = require('azure-iot-device');
const { Mqtt } = require('azure-iot-device-mqtt');
const { Http: HttpBase } = require('azure-iot-http-base');
const { ProvisioningDeviceClient } = require('azure-iot-provisioning-device');
const { Http: ProvisioningHttp } = require('azure-iot-provisioning-device-http');
const { SymmetricKeySecurityClient } = require('azure-iot-security-symmetric-key');

const { Emulator, deriveKey, newId, waitFor, within } = require('../lib/emulator');

const MODEL_ID = 'dtmi:com:example:Thermostat;1';
let emu;
const openClients = [];
const keys = [];

before(async () => { emu = await Emulator.start(); });

after(async () => {
  for (const c of openClients) await within(10000, 'closing a client', c.close()).catch(() => {});
  if (emu) await emu.stop();
});

/** Sends every DPS request to the emulator's port; host name, TLS server name and certificate checks stay as they are. */
class EmulatorDpsAgent extends https.Agent {
  constructor(port) {
    super({ keepAlive: false });
    this.dpsPort = port;
  }

  createConnection(options, callback) {
    return super.createConnection({ ...options, port: this.dpsPort }, callback);
  }
}

/** Provisions through the SDK's DPS client over HTTPS (symmetric key); resolves its RegistrationResult. */
function provision(registrationId, key, modelId) {
  const httpBase = new HttpBase();
  httpBase.setOptions({ ca: emu.ca, http: { agent: new EmulatorDpsAgent(emu.dpsPort) } });
  const client = ProvisioningDeviceClient.create('localhost', emu.idScope, new ProvisioningHttp(httpBase), new SymmetricKeySecurityClient(registrationId, key));
  if (modelId) client.setProvisioningPayload({ modelId });
  return within(30000, `provisioning ${registrationId}`, client.register());
}

/** Opens the SDK's MQTT device client for a provisioned device. */
async function openHub(result, key, { tokenValidSeconds, renewalMarginSeconds } = {}) {
  const connectionString = `HostName=${result.assignedHub};DeviceId=${result.deviceId};SharedAccessKey=${key};GatewayHostName=localhost:${emu.mqttPort}`;
  const auth = SharedAccessKeyAuthenticationProvider.fromConnectionString(connectionString, tokenValidSeconds, renewalMarginSeconds);
  const client = Client.fromAuthenticationProvider(auth, Mqtt);
  await client.setOptions({ ca: emu.ca, modelId: MODEL_ID });
  await within(20000, 'client.open', client.open());
  openClients.push(client);
  return client;
}

/** Everything a connected SDK client saw, for assertions. */
function listen(client) {
  const seen = { desired: [], messages: [], methods: [] };
  client.on('message', (msg) => {
    seen.messages.push(msg);
    client.complete(msg, () => {});
  });
  client.onDeviceMethod('echo', (request, response) => {
    seen.methods.push(request.payload);
    response.send(200, { echo: request.payload }, () => {});
  });
  return seen;
}

async function desiredListener(client, seen) {
  const twin = await within(15000, 'getTwin', client.getTwin());
  twin.on('properties.desired', (patch) => seen.desired.push(patch));
  return twin;
}

/** Checks that desired updates, getTwin, direct methods and C2D all work for a connected device. */
async function assertEverythingWorks(id, client, twin, seen, tag) {
  const version = (await emu.setDesired(id, { setpoint: { value: tag.length } })).version;
  const patch = await waitFor(`desired v${version} (${tag})`, () => seen.desired.find((p) => p.$version === version));
  assert.equal(patch.setpoint.value, tag.length);

  const fresh = await within(10000, `getTwin (${tag})`, client.getTwin());
  assert.equal(fresh.properties.desired.$version, version);
  assert.equal(fresh.properties.desired.setpoint.value, tag.length);

  const method = await emu.invoke(id, 'echo', { tag });
  assert.equal(method.status, 200, JSON.stringify(method));
  assert.deepEqual(JSON.parse(method.payload), { echo: { tag } });
  assert.deepEqual(seen.methods.at(-1), { tag });

  const { id: mid } = await emu.sendC2d(id, `c2d ${tag}`, { tag });
  const msg = await waitFor(`C2D ${mid} (${tag})`, () => seen.messages.find((m) => m.data.toString() === `c2d ${tag}`));
  assert.equal(msg.messageId, String(mid));
  assert.equal(msg.properties.getValue('tag'), tag);
  await waitFor(`C2D ${mid} completed (${tag})`, async () => (await emu.c2dList(id)).find((m) => m.id === mid && m.state === 'completed'));
}

async function connectedAfter(id, when) {
  return waitFor(`'${id}' connected again`, async () => {
    const d = await emu.device(id);
    return d.connected && new Date(d.lastConnectedUtc) > when ? d : null;
  }, 30000);
}

const resumedLogs = (id) => emu.logs.filter((l) => l.includes(`'${id}' connected`) && l.includes('session resumed')).length;

// ---------------------------------------------------------------- DPS

test('DPS: individual enrollment, symmetric key over HTTPS (api-version 2019-03-31), model id in the payload', async () => {
  const id = newId('node-ind');
  const { primaryKey } = await emu.enroll(id);
  keys.push(primaryKey);
  const result = await provision(id, primaryKey, MODEL_ID);
  assert.equal(result.deviceId, id);
  assert.equal(result.assignedHub, emu.hubHost);
  const device = await emu.device(id);
  assert.equal(device.enrollmentId, id);
  assert.equal(device.modelId, MODEL_ID);
  assert.match(device.provisioningPayload, /Thermostat/);
});

test('DPS: group enrollment with a derived device key', async () => {
  const group = newId('node-group');
  const { primaryKey } = await emu.enroll(group, true);
  keys.push(primaryKey);
  const id = newId('node-member');
  const result = await provision(id, deriveKey(primaryKey, id));
  assert.equal(result.deviceId, id);
  const device = await emu.device(id);
  assert.equal(device.enrollmentId, group);
});

test('DPS: a wrong key is refused with 401', async () => {
  const id = newId('node-wrong');
  await emu.enroll(id);
  const err = await provision(id, Buffer.alloc(32, 7).toString('base64')).then(() => null, (e) => e);
  assert.ok(err, 'registration must fail');
  assert.equal(err.response?.statusCode ?? err.result?.statusCode ?? err.statusCode, 401, String(err));
  assert.equal((await emu.api('GET', `/devices/${id}`)).status, 404);
});

// ---------------------------------------------------------------- hub

let main; // { id, key, client, twin, seen }

async function mainDevice() {
  if (main) return main;
  const id = newId('node-dev');
  const { primaryKey } = await emu.enroll(id);
  keys.push(primaryKey);
  const result = await provision(id, primaryKey);
  const client = await openHub(result, primaryKey);
  const seen = listen(client);
  const twin = await desiredListener(client, seen);
  main = { id, key: primaryKey, result, client, twin, seen };
  return main;
}

test('hub: sendEvent with application and system properties is stored with its property bag', async () => {
  const { id, client } = await mainDevice();
  const msg = new Message(JSON.stringify({ temp: 21.5 }));
  msg.contentType = 'application/json';
  msg.contentEncoding = 'utf-8';
  msg.messageId = 'm-1';
  msg.properties.add('unit', '°C');
  msg.properties.add('path', 'a/b c');
  await within(10000, 'sendEvent', client.sendEvent(msg));
  const stored = await waitFor('telemetry stored', async () => (await emu.telemetry(id)).find((t) => t.properties['$.mid'] === 'm-1'));
  assert.deepEqual(JSON.parse(stored.payload), { temp: 21.5 });
  assert.equal(stored.properties.unit, '°C');
  assert.equal(stored.properties.path, 'a/b c');
  assert.equal(stored.properties['$.ct'], 'application/json');
  assert.equal(stored.properties['$.ce'], 'utf-8');
  assert.equal((await emu.device(id)).modelId, MODEL_ID); // model-id in the MQTT user name
});

test('hub: getTwin and reported properties update with twin versions', async () => {
  const { id, twin } = await mainDevice();
  const before = await emu.twin(id);
  await within(10000, 'reported update', new Promise((resolve, reject) => twin.properties.reported.update({ fw: '1.2.3', nested: { a: 1 } }, (e) => (e ? reject(e) : resolve()))));
  const after = await emu.twin(id);
  assert.equal(after.reported.fw, '1.2.3');
  assert.equal(after.reported.nested.a, 1);
  assert.equal(after.reported.$version, before.reported.$version + 1);
  assert.equal(twin.properties.desired.$version, before.desired.$version);
});

test('hub: desired property updates, direct methods and C2D with complete()', async () => {
  const { id, client, twin, seen } = await mainDevice();
  await assertEverythingWorks(id, client, twin, seen, 'live');
  const c2d = (await emu.c2dList(id)).at(-1);
  assert.equal(c2d.state, 'completed');
  assert.equal(c2d.deliveryCount, 1);
});

test('after a drop through the fault API the SDK reconnects by itself and everything still works', async () => {
  const { id, client, twin, seen } = await mainDevice();
  const resumedBefore = resumedLogs(id);
  const when = new Date();
  assert.equal((await emu.drop(id)).dropped, true);
  await connectedAfter(id, when);
  await assertEverythingWorks(id, client, twin, seen, 'after drop');
  // The SDK reconnected with clean session 0 and relied on the hub keeping its subscriptions.
  assert.ok(resumedLogs(id) > resumedBefore, 'the emulator resumed the session');
});

test('after the SDK renews its SAS token (by reconnecting) everything still works', async () => {
  const id = newId('node-renew');
  const { primaryKey } = await emu.enroll(id);
  keys.push(primaryKey);
  const result = await provision(id, primaryKey);
  // A 12 s token renewed 6 s before it ends: the first renewal comes about 6 s after connecting, the next 6 s later.
  const client = await openHub(result, primaryKey, { tokenValidSeconds: 12, renewalMarginSeconds: 6 });
  const connectedAt = new Date((await emu.device(id)).lastConnectedUtc);
  const seen = listen(client);
  const twin = await desiredListener(client, seen);
  await connectedAfter(id, connectedAt);
  await assertEverythingWorks(id, client, twin, seen, 'after renewal');
  assert.ok(resumedLogs(id) > 0, 'the renewal reconnected into the same session');
});

test('C2D sent while the device is offline is delivered after it reconnects, and completed', async () => {
  const { id, client, seen } = await mainDevice();
  await within(10000, 'client.close', client.close());
  await waitFor(`'${id}' offline`, async () => !(await emu.device(id)).connected);
  const { id: mid } = await emu.sendC2d(id, 'while offline', { k: 'v' });
  assert.equal((await emu.c2dList(id)).find((m) => m.id === mid).state, 'queued');

  await within(20000, 'client.open again', client.open());
  const msg = await waitFor('the offline C2D message', () => seen.messages.find((m) => m.data.toString() === 'while offline'), 20000);
  assert.equal(msg.messageId, String(mid));
  const stored = await waitFor('completed', async () => (await emu.c2dList(id)).find((m) => m.id === mid && m.state === 'completed'));
  assert.equal(stored.deliveryCount, 1);
});

test('the emulator never logged a key', () => {
  assert.ok(keys.length > 0);
  for (const key of keys) assert.ok(!emu.logs.some((l) => l.includes(key)), 'a key appeared in the emulator log');
});
