/** Loop device ioctls (/dev/loop-control and /dev/loopN fds). */
import { addon } from './addon';
import type { NativeLoopConfig } from './native';

export type LoopConfig = NativeLoopConfig;

/** LOOP_CTL_GET_FREE: returns N of a free /dev/loopN (allocating one if needed). */
export function loopCtlGetFree(controlFd: number): number {
  return addon().loopCtlGetFree(controlFd);
}

/** LOOP_CONFIGURE: attaches backingFd to the loop device in one step. */
export function loopConfigure(loopFd: number, backingFd: number, config: LoopConfig = {}): void {
  addon().loopConfigure(loopFd, backingFd, config);
}

/** LOOP_CLR_FD: detaches the backing file. */
export function loopClrFd(loopFd: number): void {
  addon().loopClrFd(loopFd);
}
