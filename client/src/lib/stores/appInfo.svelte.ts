// The sidebar's info line: app version and where training would run.
import { type Invoke, invoke } from '../api';
import type { AppInfo } from '../contracts.gen';
import { Loadable } from './loadable.svelte';

export function createAppInfo(call: Invoke = invoke): Loadable<AppInfo | null> {
  return new Loadable(() => call('app_info'), null);
}

/** 'CUDA (NVIDIA H200)', 'CPU (AMD EPYC ...)'. */
export function describeDevice(info: AppInfo): string {
  const kind = info.device === 'mps' ? 'Apple MPS' : info.device.toUpperCase();
  return info.device_name ? `${kind} (${info.device_name})` : kind;
}
