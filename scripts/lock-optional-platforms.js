#!/usr/bin/env node
// Records, in package-lock.json, the platform-specific optional packages that the registry
// mirror used here does not serve (it returns 404 for most non-Linux builds), so npm leaves
// them out of the lock file and `npm ci` then refuses it as out of sync. Each entry gets the
// os/cpu/libc read from its name, so npm skips it on every other platform without fetching.
// Run after any `npm install` that changes the lock file.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const file = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const OS = ['darwin', 'linux', 'win32', 'freebsd', 'android', 'openharmony', 'wasm32'];
const CPU = {
  arm64: 'arm64',
  x64: 'x64',
  ia32: 'ia32',
  arm: 'arm',
  ppc64: 'ppc64',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
};

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((part) => OS.includes(part));
  const cpu = parts.map((part) => CPU[part]).find(Boolean);
  if (!os || (!cpu && os !== 'wasm32')) return undefined;
  if (os === 'wasm32') return { cpu: ['wasm32'] };
  const entry = { os: [os], cpu: [cpu] };
  if (parts.includes('musl') || parts.includes('musleabihf')) entry.libc = ['musl'];
  else if (os === 'linux' && parts.some((part) => part.startsWith('gnu'))) entry.libc = ['glibc'];
  return entry;
}

let added = 0;
for (const [location, meta] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const base = location === '' ? 'node_modules' : `${location}/node_modules`;
    const candidates = [`${base}/${dep}`, `node_modules/${dep}`];
    if (candidates.some((key) => lock.packages[key])) continue;
    const platform = platformOf(dep);
    if (!platform) {
      console.warn(`not recorded (no platform in its name): ${dep}`);
      continue;
    }
    lock.packages[`node_modules/${dep}`] = { version, ...platform, optional: true };
    added++;
  }
}
const sorted = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) =>
    a === '' ? -1 : b === '' ? 1 : a.localeCompare(b),
  ),
);
lock.packages = sorted;
fs.writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(`recorded ${added} platform-specific optional package(s)`);
