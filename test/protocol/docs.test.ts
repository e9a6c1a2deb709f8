import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, type ErrorSpec } from '../../protocol/errors.js';
import { ClientEventSchemas } from '../../protocol/schema/client-events.js';
import { ServerEventSchemas } from '../../protocol/schema/server-events.js';

const readme = readFileSync(new URL('../../protocol/README.md', import.meta.url), 'utf8');

test('every error code is in the protocol README table with its socket behaviour', () => {
  for (const [code, spec] of Object.entries(ERROR_CODES)) {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
    assert.ok(row, `error code ${code} is documented`);
    if ((spec as ErrorSpec).loadOnly) assert.match(row, /\| never sent \|/, `${code} is documented as never sent`);
    else assert.match(row, spec.keepsOpen ? /\| yes \|/ : /\| no/, `${code} socket behaviour documented`);
  }
});

test('every client and server event type is documented', () => {
  for (const type of [...Object.keys(ClientEventSchemas), ...Object.keys(ServerEventSchemas)]) {
    assert.ok(readme.includes(`\`${type}\``), `${type} documented`);
  }
});
