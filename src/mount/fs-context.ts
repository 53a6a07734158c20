/**
 * One filesystem context (fsopen → fsconfig… → CMD_CREATE → fsmount). Every call records the
 * key it set, so an error says which option the kernel refused; the kernel's messages are kept
 * (for status.json) and included in errors.
 */
import {
  close, constants, fsconfigCreate, fsconfigSetFd, fsconfigSetFlag, fsconfigSetString, fsmount, fsopen,
  fsReadMessages,
} from '../sys/index.js';
import { simulatedError, simulatedMissing, type KernelFeature } from './compat.js';

export class FsContext {
  readonly fd: number;
  /** Kernel messages read after each step (`e …`, `w …`, `i …`). */
  readonly messages: string[] = [];
  private closed = false;

  constructor(readonly fstype: string) {
    this.fd = fsopen(fstype);
  }

  private drain(): void {
    try {
      this.messages.push(...fsReadMessages(this.fd));
    } catch {
      // the message log is best effort; the call's own result decides
    }
  }

  private guard(feature: KernelFeature | undefined, detail: string): void {
    if (feature !== undefined && simulatedMissing().has(feature)) throw simulatedError(feature, 'fsconfig', `${this.fstype}, ${detail}`);
  }

  setFlag(key: string): void {
    fsconfigSetFlag(this.fd, key);
  }

  setString(key: string, value: string, feature?: KernelFeature): void {
    this.guard(feature, `"${key}"="${value}"`);
    fsconfigSetString(this.fd, key, value);
  }

  setFd(key: string, fd: number, feature?: KernelFeature): void {
    this.guard(feature, `"${key}"=fd ${fd}`);
    fsconfigSetFd(this.fd, key, fd);
  }

  create(feature?: KernelFeature): void {
    this.guard(feature, 'FSCONFIG_CMD_CREATE');
    try {
      fsconfigCreate(this.fd);
    } finally {
      this.drain();
    }
  }

  /** fsmount(2): a detached mount fd (close-on-exec). */
  mount(readOnly: boolean): number {
    try {
      return fsmount(this.fd, 0, readOnly ? constants.MOUNT_ATTR_RDONLY : 0);
    } finally {
      this.drain();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    close(this.fd);
  }
}
