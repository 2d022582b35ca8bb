export * from './frames.ts';
export * from './patch.ts';
export * from './errors.ts';
export * from './codec.ts';
export * from './apply-patch.ts';
export * from './publish.ts';
export * from './dashboard-config.ts';
export * from './fields.ts';
