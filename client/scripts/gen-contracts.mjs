#!/usr/bin/env node
// Turns the JSON schema printed by `python -m ollama_trainer.schema` (read from stdin) into
// TypeScript: one exported interface or type per contract model.
//
//   node scripts/gen-contracts.mjs < schema.json > src/lib/contracts.gen.ts
//   node scripts/gen-contracts.mjs --check < schema.json   # exit 1 when the file is stale
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compile } from 'json-schema-to-typescript';

const here = dirname(fileURLToPath(import.meta.url));
export const OUTPUT = resolve(here, '../src/lib/contracts.gen.ts');

const BANNER = `/* eslint-disable */
// Generated from backend/ollama_trainer/contracts.py, do not edit.
// Regenerate with: npm run gen:contracts`;

/** Drop `title` below the top level of each model: otherwise every titled field becomes its
 * own named type (Device, Device1, ...) instead of an inline union. */
function stripTitles(node, keep) {
  if (Array.isArray(node)) return node.map((item) => stripTitles(item, false));
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'title' && !keep) continue;
    if (key === 'properties' && value && typeof value === 'object') {
      // property names are data, not schema keywords: a field called "title" must survive
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, sub]) => [name, stripTitles(sub, false)]),
      );
    } else {
      out[key] = stripTitles(value, false);
    }
  }
  return out;
}

/** Schema document (with every model under `$defs`) -> TypeScript source. */
export async function generate(schema) {
  const defs = schema.$defs ?? {};
  const names = Object.keys(defs).sort();
  const cleanDefs = Object.fromEntries(names.map((name) => [name, stripTitles(defs[name], true)]));
  // A root object that refers to every model, so each one is emitted exactly once by name.
  const root = {
    title: 'ContractsRoot',
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(names.map((name) => [name, { $ref: `#/$defs/${name}` }])),
    $defs: cleanDefs,
  };
  const ts = await compile(root, 'ContractsRoot', {
    bannerComment: BANNER,
    additionalProperties: false,
    unreachableDefinitions: true,
    strictIndexSignatures: false,
    format: true,
    style: { singleQuote: true, printWidth: 100 },
  });
  return tidy(ts) + extras(schema);
}

/** The constants and the command map: what the client would otherwise copy by hand. */
function extras(schema) {
  const lines = ['', '// -- constants from contracts.py ------------------------------------------------------', ''];
  for (const [name, value] of Object.entries(schema['x-constants'] ?? {}).sort()) {
    const literal = JSON.stringify(value).replaceAll('"', "'").replaceAll(',', ', ');
    lines.push(`export const ${name} = ${literal} as const;`);
  }
  lines.push('export type ErrorCode = (typeof ERROR_CODES)[number];');
  lines.push(...fieldFacts(schema.$defs ?? {}));
  lines.push('', '// -- every bridge command: its request and its result -----------------------------------', '');
  lines.push('export interface CommandMap {');
  for (const [name, spec] of Object.entries(schema['x-commands'] ?? {}).sort()) {
    lines.push(`  ${name}: { request: ${spec.request ?? 'null'}; result: ${spec.result} };`);
  }
  lines.push('}', '', 'export type CommandName = keyof CommandMap;', '');
  return lines.join('\n');
}

/** A number, boolean or string as TypeScript source, strings in single quotes. */
function literal(value) {
  if (typeof value !== 'string') return String(value);
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

const BOUND_KEYS = ['minimum', 'exclusiveMinimum', 'maximum', 'exclusiveMaximum'];

/** Per model, one line each: its fields' plain defaults (numbers, strings, booleans) and
 * numeric bounds (Field(ge=..., le=...)), so the client's forms follow contracts.py. */
function fieldFacts(defs) {
  const defaults = [];
  const bounds = [];
  for (const name of Object.keys(defs).sort()) {
    const facts = { defaults: [], bounds: [] };
    for (const [field, prop] of Object.entries(defs[name].properties ?? {}).sort()) {
      if (['number', 'string', 'boolean'].includes(typeof prop.default)) {
        facts.defaults.push(`${field}: ${literal(prop.default)}`);
      }
      // A nullable field keeps its bounds on the non-null branch of anyOf.
      const source = [prop, ...(prop.anyOf ?? [])].find((s) => BOUND_KEYS.some((k) => k in s));
      if (source) {
        const parts = BOUND_KEYS.filter((k) => k in source).map((k) => `${k}: ${source[k]}`);
        facts.bounds.push(`${field}: { ${parts.join(', ')} }`);
      }
    }
    if (facts.defaults.length) defaults.push(`  ${name}: { ${facts.defaults.join(', ')} },`);
    if (facts.bounds.length) bounds.push(`  ${name}: { ${facts.bounds.join(', ')} },`);
  }
  return [
    '',
    '// -- field defaults and bounds, per model ----------------------------------------------',
    '',
    'export const FIELD_DEFAULTS = {',
    ...defaults,
    '} as const;',
    'export const FIELD_BOUNDS = {',
    ...bounds,
    '} as const;',
  ];
}

/** Remove the scaffolding root interface and the "referenced by ContractsRoot" notes. */
function tidy(ts) {
  return ts
    .replace(/export interface ContractsRoot \{[^}]*\}\n\n?/, '')
    .replace(/ \*\n \* This interface was referenced by `ContractsRoot`'s JSON-Schema\n \* via the `definition` "\w+"\.\n/g, '')
    .replace(/\/\*\*\n \* This interface was referenced by `ContractsRoot`'s JSON-Schema\n \* via the `definition` "\w+"\.\n \*\/\n/g, '')
    .replace(/^(\}|export .*;)\n(\/\*\*|export )/gm, '$1\n\n$2')
    .replace(/\n{3,}/g, '\n\n');
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function main(argv) {
  const check = argv.includes('--check');
  const input = await readStdin();
  if (!input.trim()) {
    process.stderr.write('gen-contracts: no schema on stdin (python -m ollama_trainer.schema failed?)\n');
    return 2;
  }
  const ts = await generate(JSON.parse(input));
  if (!check) {
    process.stdout.write(ts);
    return 0;
  }
  let current = '';
  try {
    current = readFileSync(OUTPUT, 'utf8');
  } catch {
    current = '';
  }
  if (current !== ts) {
    process.stderr.write(
      `gen-contracts: ${OUTPUT} is stale: contracts.py changed. Run \`npm run gen:contracts\` in client/.\n`,
    );
    return 1;
  }
  process.stdout.write('gen-contracts: contracts.gen.ts is up to date\n');
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`gen-contracts: ${err?.stack ?? err}\n`);
      process.exit(2);
    },
  );
}
