// bench:echo's --only: which sections a run measures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SECTIONS, sectionsFromArgs } from '../../scripts/bench/echo.js';

test('bench:echo --only names the sections to run; none named runs all; an unknown or empty list is an error naming the sections', () => {
  assert.deepEqual([...sectionsFromArgs(['node', 'echo.ts'])], [...SECTIONS]);
  assert.deepEqual([...sectionsFromArgs(['node', 'echo.ts', '--only', 'rooms,early'])], ['rooms', 'early']);
  assert.throws(() => sectionsFromArgs(['node', 'echo.ts', '--only', 'rooms,nope']), /unknown nope; sections: rooms, early/);
  assert.throws(() => sectionsFromArgs(['node', 'echo.ts', '--only']), /no section named/);
});
