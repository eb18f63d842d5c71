// The sidebar's info line: app version and where training would run. The backend answers at
// once; the device comes a little later (the worker imports PyTorch to find it), so the store
// asks again until it is known and the sidebar says meanwhile what it waits on.
import { type Invoke, invoke } from '../api';
import type { AppInfo } from '../contracts.gen';
import { poller } from '../poller';
import { Loadable } from './loadable.svelte';

/** How often the device is asked for again while the backend still finds it. */
export const DEVICE_CHECK_MS = 1000;

export class AppInfoStore extends Loadable<AppInfo | null> {
  constructor(call: Invoke = invoke) {
    super(() => call('app_info'), null);
  }

  /** The backend answered but still asks the worker which device it has. */
  get findingDevice(): boolean {
    return !!this.value && !this.value.device;
  }

  /** Load now, then again every `intervalMs` until the device is known; returns the stop function. */
  watch(intervalMs = DEVICE_CHECK_MS): () => void {
    void this.load();
    return poller.follow(this, () => (this.findingDevice || this.error ? this.refresh() : undefined), intervalMs);
  }
}

export function createAppInfo(call: Invoke = invoke): AppInfoStore {
  return new AppInfoStore(call);
}

/** 'CUDA (NVIDIA H200)', 'CPU (AMD EPYC ...)'; '' while the device is not known. */
export function describeDevice(info: AppInfo): string {
  if (!info.device) return '';
  const kind = info.device === 'mps' ? 'Apple MPS' : info.device.toUpperCase();
  return info.device_name ? `${kind} (${info.device_name})` : kind;
}
