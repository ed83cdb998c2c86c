// The app's half of the inlined state's encoding: src/webviews/shared/html.ts writes each
// Float64Array as {"$f64": base64 of its bytes}. No DOM here, so host-side unit tests can import it.

/** `{"$f64": base64}` (as jsonForScript writes a Float64Array) back to a Float64Array; a JSON.parse reviver. */
export function reviveTyped(_key: string, value: unknown): unknown {
  const encoded = (value as { $f64?: unknown } | null)?.$f64;
  if (typeof encoded !== 'string') return value;
  const binary = atob(encoded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Float64Array(bytes.buffer);
}
