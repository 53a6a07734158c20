/**
 * A composefs mount: the EROFS image (metadata) under an overlay whose data-only layers are the
 * object directories, `metacopy=on,redirect_dir=on`, and `verity=require` when the image is
 * trusted by digest. The result is a detached mount fd; the caller attaches it.
 */
import { close, constants, mountSetattr } from '../sys/index.js';
import type { LayerStrategy } from './compat.js';
import { mountError } from './errors.js';
import { mountErofs, readImageHeader, type ErofsMount } from './erofs.js';
import { mountOverlay, type Layer, type OverlayMount } from './overlay.js';

export interface ComposefsMountOptions {
  imageFd: number;
  /** Path of the image, for messages. */
  imageLabel: string;
  /** Object directories (O_PATH directory fds), in lookup order. */
  dataDirs: Array<{ fd: number; label: string }>;
  /** `require`: overlay verity=require; `try`: if the kernel supports it; `off`: not set. */
  verity: 'require' | 'try' | 'off';
  /** Mount source (`composefs:<hex>` at boot, `composefs` for mount.composefs). */
  source: string;
  readOnly: boolean;
  /** Optional writable layer (mount.composefs `upperdir=`/`workdir=`). */
  upper?: { upper: Layer; work: Layer };
  /** User namespace fd: the EROFS layer is idmapped through it (mount.composefs `idmap=`). */
  idmapFd?: number;
  /** Only the given layer strategies (default: all, newest first). */
  strategies?: readonly LayerStrategy[];
}

export interface ComposefsMount {
  /** Detached overlay mount fd (close-on-exec); the caller owns it. */
  fd: number;
  erofs: Omit<ErofsMount, 'fd'>;
  overlay: Omit<OverlayMount, 'fd'>;
  /** The overlay took the detached EROFS mount as an fd: the kernel can assemble floating trees (≥ 6.15). */
  floating: boolean;
  formatVersion: number;
}

export function mountComposefs(o: ComposefsMountOptions): ComposefsMount {
  const header = readImageHeader(o.imageFd, o.imageLabel);
  const erofs = mountErofs(o.imageFd, o.imageLabel, { noacl: header.noAcl });
  try {
    if (o.idmapFd !== undefined) {
      try {
        mountSetattr(erofs.fd, '', constants.AT_EMPTY_PATH, { attrSet: constants.MOUNT_ATTR_IDMAP, usernsFd: o.idmapFd });
      } catch (e) {
        throw mountError(`idmapping the EROFS mount of ${o.imageLabel}`, e);
      }
    }
    const spec = {
      source: o.source,
      lower: [{ fd: erofs.fd, detached: true, label: `EROFS mount of ${o.imageLabel}` }],
      data: o.dataDirs.map((d) => ({ fd: d.fd, detached: false, label: d.label })),
      ...(o.upper !== undefined ? { upper: o.upper } : {}),
      composefs: true,
      ...(o.verity !== 'off' ? { verity: o.verity } : {}),
      readOnly: o.readOnly,
    };
    const overlay = mountOverlay(spec, `mounting the composefs overlay of ${o.imageLabel}`, o.strategies);
    const { fd: _e, ...erofsInfo } = erofs;
    const { fd, ...overlayInfo } = overlay;
    return { fd, erofs: erofsInfo, overlay: overlayInfo, floating: overlay.strategy === 'fd', formatVersion: header.formatVersion };
  } finally {
    close(erofs.fd);
  }
}
