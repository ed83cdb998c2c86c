// Page decompressors for reading rollout shards.

export { compressors } from 'hyparquet-compressors';
