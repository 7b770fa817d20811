import type { Platform } from '../platform';

/** What the control API needs of the platform (the composition root passes itself). */
export type ControlHost = Pick<
  Platform,
  'store' | 'engine' | 'runtime' | 'logs' | 'meter' | 'opts' | 'httpUrl' | 'adminToken' | 'deploy' | 'removeApp'
>;
