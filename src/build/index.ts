/**
 * `kolla build`: images from Dockerfile templates, built in dependency order with a build
 * hash so that unchanged images are not rebuilt, pushed to their registry on request.
 */
export {
  buildHashOf,
  defaultWorkDir,
  ensureImages,
  imageBuildStates,
  ImageConfigError,
  loadImageGraph,
  type EnsureImagesOptions,
  type EnsureImagesResult,
  type ImageBuildState,
  type ImageGraphOptions,
} from './ensure-images.js';
export { BUILD_HASH_LABEL, BUILD_PARENT_LABEL, KOLLA_VERSION_LABEL } from './build-hash.js';
export {
  buildPriority,
  imagesDot,
  matchImages,
  selectImages,
  type ImageGraph,
  type ImageNode,
} from './image-graph.js';
export type { ImageSpec, RegistrySpec } from './image-spec.js';
export {
  DEFAULT_THREADS,
  runBuild,
  writeDockerfiles,
  type BuildEvent,
  type ImageResult,
  type ImageStatus,
} from './run-build.js';
