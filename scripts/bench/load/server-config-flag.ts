/** `--server-config JSON`: config sections to merge over a bench's server config (undefined when absent). */
export function serverConfigFlag(argv: string[]): Record<string, Record<string, unknown>> | undefined {
  const i = argv.indexOf('--server-config');
  if (i < 0) return undefined;
  const parsed: unknown = JSON.parse(String(argv[i + 1] ?? ''));
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('--server-config takes a JSON object of config sections');
  return parsed as Record<string, Record<string, unknown>>;
}
