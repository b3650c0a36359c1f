// Runs the real `wharf` binary as a command-line client, each "user" with their own config home,
// and (through python3's pty module) on a real pseudo-terminal for prompts and colour.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, WHARF_BIN } from './harness.mjs';

const PTY_RUN = path.join(ROOT, 'tests/e2e/lib/pty_run.py');

// A CLI user: an isolated XDG_CONFIG_HOME (and HOME), no inherited WHARF_* variables.
export function cliUser(name = 'user') {
  const home = mkdtempSync(path.join(os.tmpdir(), `wharf-cli-${name}-`));
  const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, 'xdg'), NO_COLOR: '1' };
  for (const k of Object.keys(env)) if (k.startsWith('WHARF_') && k !== 'WHARF_BIN') delete env[k];
  const user = {
    home,
    env,
    configFile: path.join(home, 'xdg', 'wharf', 'config.toml'),
    // Resolves {code, stdout, stderr}; never rejects on a non-zero exit.
    run(args, { input, env: extra = {} } = {}) {
      return new Promise((resolve, reject) => {
        const p = spawn(WHARF_BIN, args, { env: { ...env, ...extra }, stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        p.stdout.on('data', (d) => { stdout += d; });
        p.stderr.on('data', (d) => { stderr += d; });
        p.on('error', reject);
        p.on('close', (code) => resolve({ code, stdout, stderr }));
        // A command that exits without reading stdin (--help) closes the pipe: that EPIPE is expected.
        p.stdin.on('error', (e) => { if (e.code !== 'EPIPE') reject(e); });
        if (input === undefined) p.stdin.end();
        else p.stdin.end(input);
      });
    },
    // Like run, but parses stdout as JSON and fails loudly on a non-zero exit.
    async json(args, opts) {
      const r = await user.run([...args, '-o', 'json'], opts);
      if (r.code !== 0) throw new Error(`wharf ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    },
    // Runs on a pseudo-terminal. `script` is [[expectText, sendLine], ...]. Resolves
    // {code, transcript} where transcript is everything the terminal showed.
    pty(args, script = [], { env: extra = {} } = {}) {
      return new Promise((resolve, reject) => {
        const p = spawn('python3', [PTY_RUN, WHARF_BIN, ...args], {
          env: { ...env, ...extra, PTY_SCRIPT: JSON.stringify(script) }, stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        p.stdout.on('data', (d) => { out += d; });
        p.stderr.on('data', (d) => { err += d; });
        p.on('error', reject);
        p.on('close', (code) => {
          if (err.includes('PTY_TIMEOUT')) reject(new Error(`pty script timed out: ${err}\n${out}`));
          else resolve({ code, transcript: out });
        });
      });
    },
    cleanup() { rmSync(home, { recursive: true, force: true }); },
  };
  return user;
}
