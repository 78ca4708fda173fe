'use strict';
// Starts the IoT Central emulator (the built iotc-emulator.dll) on free loopback ports with a temporary data folder,
// and talks to its operator REST API. TLS is verified everywhere against the emulator's development CA.

const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');

const projectDir = path.resolve(__dirname, '..', '..', 'IotcEmulator');
const dll = process.env.IOTC_EMULATOR_DLL || path.join(projectDir, 'bin', 'Debug', 'net10.0', 'iotc-emulator.dll');

/** Polls `probe` until it returns a truthy value; throws after `ms` milliseconds. */
async function waitFor(what, probe, ms = 15000) {
  const until = Date.now() + ms;
  let last;
  while (Date.now() < until) {
    try {
      last = await probe();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

/** Rejects when `promise` does not settle within `ms` milliseconds. */
function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

class Emulator {
  constructor(child, banner, logs, dataDir) {
    this.child = child;
    this.logs = logs;
    this.dataDir = dataDir;
    this.dpsPort = banner.dpsPort;
    this.mqttPort = banner.mqttPort;
    this.hubHost = banner.hubHost;
    this.idScope = banner.idScope;
    this.ca = fs.readFileSync(banner.caPath, 'utf8');
    // The operator API needs the emulator's access token; it writes it beside the CA in its data folder (never logs it).
    this.token = fs.readFileSync(path.join(path.dirname(banner.caPath), 'access-token'), 'utf8').trim();
  }

  /** Starts the emulator; resolves once its banner (ports, ID scope, CA path) is printed. `dataDir` and the ports are
   * given when restarting over the same state. */
  static async start(dataDir = undefined, dpsPort = 0, mqttPort = 0, logs = []) {
    if (!fs.existsSync(dll)) {
      const build = spawnSync('dotnet', ['build', projectDir, '-nologo', '-v', 'q'], { stdio: 'inherit' });
      if (build.status !== 0) throw new Error('building the emulator failed');
    }
    dataDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'iotc-conformance-'));
    const child = spawn('dotnet', [dll, 'start', '--data', dataDir, '--dps-port', String(dpsPort), '--mqtt-port', String(mqttPort), '--no-demo', '--dps-retry-after', '1'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DOTNET_NOLOGO: '1', DOTNET_CLI_TELEMETRY_OPTOUT: '1' } });
    let text = '';
    const banner = await within(60000, 'the emulator to start', new Promise((resolve, reject) => {
      const onData = (chunk) => {
        const s = chunk.toString();
        text += s;
        for (const line of s.split('\n')) if (line.trim()) logs.push(line);
        const dps = /DPS endpoint:\s+https:\/\/localhost:(\d+)/.exec(text);
        const hub = /Hub endpoint:\s+mqtts:\/\/([^:\s]+):(\d+)/.exec(text);
        const scope = /ID scope:\s+(\S+)/.exec(text);
        const ca = /CA certificate \(trust this\):\s+(\S+)/.exec(text);
        if (dps && hub && scope && ca && /Data folder:/.test(text)) {
          resolve({ dpsPort: Number(dps[1]), hubHost: hub[1], mqttPort: Number(hub[2]), idScope: scope[1], caPath: ca[1] });
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', (code) => reject(new Error(`emulator exited with ${code}:\n${text}`)));
    }));
    return new Emulator(child, banner, logs, dataDir);
  }

  async halt() {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await within(15000, 'the emulator to stop', exited).catch(() => this.child.kill('SIGKILL'));
    }
  }

  /** Stops the emulator process and starts a new one over the same data folder and ports (the log keeps growing). */
  async restart() {
    await this.halt();
    const next = await within(60000, 'the emulator to restart', (async () => {
      for (;;) {
        try {
          return await Emulator.start(this.dataDir, this.dpsPort, this.mqttPort, this.logs);
        } catch (err) {
          if (!/already in use/.test(err.message)) throw err; // the old process's sockets may linger a moment
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    })());
    Object.assign(this, { child: next.child, token: next.token, ca: next.ca });
  }

  async stop() {
    await this.halt();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Calls the operator REST API; resolves { status, body } (body parsed as JSON when it is JSON). */
  api(method, apiPath, body) {
    const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    return within(40000, `${method} ${apiPath}`, new Promise((resolve, reject) => {
      const req = https.request({
        host: 'localhost', port: this.dpsPort, path: '/api' + apiPath, method, ca: this.ca,
        headers: payload
          ? { 'x-iotc-token': this.token, 'content-type': 'application/json', 'content-length': payload.length }
          : { 'x-iotc-token': this.token },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => { text += c; });
        res.on('end', () => {
          let parsed = text;
          try { parsed = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
          resolve({ status: res.statusCode, body: parsed });
        });
      });
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    }));
  }

  async ok(method, apiPath, body) {
    const r = await this.api(method, apiPath, body);
    if (r.status >= 300) throw new Error(`${method} ${apiPath} answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  }

  device(id) { return this.ok('GET', `/devices/${encodeURIComponent(id)}`); }
  twin(id) { return this.ok('GET', `/devices/${encodeURIComponent(id)}/twin`); }
  c2dList(id) { return this.ok('GET', `/devices/${encodeURIComponent(id)}/c2d`); }
  telemetry(id) { return this.ok('GET', `/telemetry?deviceId=${encodeURIComponent(id)}`); }
  setDesired(id, patch) { return this.ok('PATCH', `/devices/${encodeURIComponent(id)}/twin/desired`, patch); }
  sendC2d(id, payload, properties) { return this.ok('POST', `/devices/${encodeURIComponent(id)}/c2d`, { payload, properties }); }
  invoke(id, name, payload, timeoutSeconds = 10) {
    return this.ok('POST', `/devices/${encodeURIComponent(id)}/commands/${encodeURIComponent(name)}?timeout=${timeoutSeconds}`, payload);
  }
  drop(id) { return this.ok('POST', `/faults/drop/${encodeURIComponent(id)}`); }
  enroll(id, group = false) { return this.ok('POST', '/enrollments', { id, group }); }
}

/** A device key derived from a group enrollment key, as DPS does: base64(HMAC-SHA256(base64decode(groupKey), registrationId)). */
function deriveKey(groupKey, registrationId) {
  return crypto.createHmac('sha256', Buffer.from(groupKey, 'base64')).update(registrationId, 'utf8').digest('base64');
}

function newId(prefix) {
  return `${prefix}-${crypto.randomBytes(5).toString('hex')}`;
}

module.exports = { Emulator, deriveKey, newId, waitFor, within };
