/** Where UTF-8 decoding breaks, for errors that point at the bad byte (a corpus, a safetensors header). */

/** The offset of the first byte that breaks UTF-8 decoding (bisecting over streamed prefixes). */
export function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  const decodes = (length: number): boolean => {
    try {
      // Streaming: a multi-byte character cut off at the end of the prefix is not an error.
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, length), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  let low = 0;
  let high = bytes.length;
  while (low < high) {
    const middle = Math.floor((low + high + 1) / 2);
    if (decodes(middle)) low = middle;
    else high = middle - 1;
  }
  return low;
}
