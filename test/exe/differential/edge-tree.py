# Creates an on-disk tree of edge cases for the differential tests (test/exe/differential/):
# sizes around the inline/block boundaries, sparse files, a 3000+ entry directory with names of
# every length 1..255 and odd bytes, 60-level nesting, symlinks of many lengths, hard links,
# fifo, socket, devices, an overlay whiteout (char 0:0) with trusted.overlay.* xattrs, odd
# modes, xattrs of many sizes, nanosecond / pre-1970 / post-2038 mtimes.
# Usage: python3 edge-tree.py DIR (DIR must not exist). Devices, chown, trusted.*/security.*
# xattrs and the unreadable directory need root and are left out otherwise.
import os, sys, socket, stat
root = sys.argv[1]
os.makedirs(root)
isroot = os.geteuid() == 0
def p(*a): return os.path.join(root, *a)
def write(path, data, mode=0o644):
    with open(path, 'wb') as f: f.write(data)
    os.chmod(path, mode)
# sizes around inline / block boundaries
os.mkdir(p('sizes'))
for n in [0, 1, 2, 63, 64, 65, 511, 512, 1023, 1024, 2047, 2048, 4000, 4095, 4096, 4097, 8191, 8192, 8193, 12288, 65536, 65537, 1 << 20]:
    write(p('sizes', 'f%07d' % n), bytes((i * 31 + n) & 0xff for i in range(n)))
# sparse files
with open(p('sparse'), 'wb') as f: f.truncate(64 << 20); f.seek(32 << 20); f.write(b'middle')
with open(p('sparse-tail'), 'wb') as f: f.seek((16 << 20) - 3); f.write(b'end')
# a large directory, names of every length 1..255 and odd bytes
os.mkdir(p('big'))
for i in range(3000):
    write(p('big', 'entry-%05d' % i), b'')
for l in range(1, 256):
    write(os.path.join(p('big').encode(), (b'n%d-' % l + b'x' * 255)[:l]), b'x')
for name in [b'\xff\xfe', b'caf\xc3\xa9', b'a b', b'a\nb', b'tab\tx', b'back\\slash', b'=eq', b'-', b'@at', b'\x01ctl', b'.hidden', b'...']:
    write(os.path.join(p('big').encode(), name), name)
# deep nesting
d = p('deep')
for i in range(60): d = os.path.join(d, 'd%d' % i)
os.makedirs(d); write(os.path.join(d, 'leaf'), b'leaf')
# symlinks of many lengths
os.mkdir(p('links'))
for l in [1, 2, 59, 60, 61, 100, 255, 1000, 2047, 2048, 4000, 4095]:
    os.symlink('t' * l, p('links', 'l%04d' % l))
os.symlink('/absolute/target', p('links', 'abs')); os.symlink('../sizes/f0000001', p('links', 'rel'))
# hard links
write(p('hl-a'), b'hardlinked content'); os.link(p('hl-a'), p('hl-b')); os.mkdir(p('hl')); os.link(p('hl-a'), p('hl', 'c'))
write(p('hl-empty'), b''); os.link(p('hl-empty'), p('hl', 'empty2'))
# special files
os.mkfifo(p('fifo'))
s = socket.socket(socket.AF_UNIX); s.bind(p('sock')); s.close()
if isroot:
    os.mknod(p('chr'), stat.S_IFCHR | 0o600, os.makedev(1, 3))
    os.mknod(p('blk'), stat.S_IFBLK | 0o660, os.makedev(8, 1))
    os.mknod(p('bigdev'), stat.S_IFCHR | 0o600, os.makedev(4095, 1048575))
    os.mkdir(p('ovl'))
    os.mknod(p('ovl', 'whiteout'), stat.S_IFCHR | 0o000, os.makedev(0, 0))
    write(p('ovl', 'f'), b'x')
    os.setxattr(p('ovl'), 'trusted.overlay.opaque', b'y')
    os.setxattr(p('ovl', 'f'), 'trusted.overlay.redirect', b'/elsewhere')
    os.setxattr(p('ovl', 'f'), 'user.overlay.origin', b'o')
    os.setxattr(p('sizes', 'f0000064'), 'trusted.overlay.metacopy', b'')
    os.setxattr(p('sizes', 'f0000000'), 'security.capability', b'\x01\x00\x00\x02' + b'\x00' * 16)
    os.chown(p('sizes', 'f0000001'), 4294967294, 65536)
    os.chown(p('sizes', 'f0000002'), 1000, 0)
    os.chown(p('links', 'abs'), 123, 456, follow_symlinks=False)
    # unreadable for anyone but root
    os.mkdir(p('closed')); write(p('closed', 'inside'), b'i'); os.chmod(p('closed'), 0o000)
# modes
write(p('suid'), b's', 0o4755); write(p('sgid'), b's', 0o2755); write(p('none'), b'n', 0o000)
os.mkdir(p('sticky')); os.chmod(p('sticky'), 0o1777)
# xattrs on many kinds
os.setxattr(p('big'), 'user.dir', b'd' * 200)
os.setxattr(p('sizes', 'f0004096'), 'user.bin', bytes(range(256)))
os.setxattr(p('sizes', 'f0004096'), 'user.empty', b'')
for i in range(40): os.setxattr(p('sizes', 'f0008192'), 'user.many%02d' % i, b'v' * i)
# timestamps: nanoseconds, pre-1970, after 2038, zero
os.utime(p('sizes', 'f0000001'), ns=(0, 1_234_567_891))
os.utime(p('sizes', 'f0000002'), ns=(0, -86_400_000_000_001))
os.utime(p('sizes', 'f0000063'), ns=(0, 4_102_444_800_999_999_999))
os.utime(p('sizes', 'f0000065'), ns=(0, 0))
os.utime(p('links', 'abs'), ns=(0, 1_500_000_000_5), follow_symlinks=False)
