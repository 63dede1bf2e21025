/**
 * The synthetic static-object capture behind `reliquary sample`: a textured vase on a pedestal,
 * orbited by a pinhole camera, rendered on the CPU and written as an instant-ngp dataset.
 */
export { writeSample, type SampleSummary } from './write-sample.ts';
export {
  resolveSampleOptions, SAMPLE_DEFAULTS, type ResolvedSampleOptions, type SampleOptions, type SampleProgress,
} from './options.ts';
export { lookAt, orbitPoses, sampleIntrinsics, WORLD_UP, type SampleIntrinsics } from './camera-path.ts';
export { buildTransforms, type SampleTransforms, type SampleTransformsFrame } from './transforms.ts';
export { OBJECT_BOUND_RADIUS } from './scene.ts';
