/**
 * composefs EROFS images: the on-disk format (`format`), the V1 writer (byte-identical to C
 * mkcomposefs 1.0.8, erofs.md §6) and the image digest (§12).
 */
export {
  writeImageV1, planImageV1, emitPlannedImageV1, TreeError, LayoutError, VersionError, selectVersion, resolveVersionRange,
} from './v1/index.js';
export type { WriteV1Options, ImagePlanV1 } from './v1/index.js';
export { describeOffset, inodePaths } from './v1/describe.js';
export { imageDigest, imageDigestHex, printDigestLine } from './digest.js';
export { xxh32 } from './xxh32.js';
export * as format from './format.js';
export { writeImageV2, planImageV2, V2Error, type WriteV2Options, type ImagePlanV2 } from './v2/index.js';
