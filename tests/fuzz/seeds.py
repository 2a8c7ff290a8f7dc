#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The seed corpora of the fuzz harnesses (tests/fuzz/corpus/<harness>/):
short programs in each harness's input language that reach the deep
paths - a mapped IOAS with a device attached, a type1 container with a
group and a device, a bound cdev, a DSA tenant's descriptors, a VT-d unit
set up the way a driver does. Run it after changing an input language;
the files are committed."""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- fuzz_ioctl (fuzz_ioctl.c: ops, cmds[] order, the node list of the
# selftest host with its three mdevs, sorted) ----
CMDS = ['DESTROY', 'IOAS_ALLOC', 'ALLOW_IOVAS', 'IOVA_RANGES', 'IOAS_MAP', 'MAP_FILE',
        'COPY', 'UNMAP', 'OPTION', 'VFIO_IOAS', 'HWPT_ALLOC', 'GET_HW_INFO', 'SET_DIRTY',
        'GET_DIRTY', 'HWPT_INVALIDATE', 'FAULT_ALLOC', 'CHANGE_PROCESS', 'VIOMMU_ALLOC',
        'VDEVICE_ALLOC', 'VEVENTQ_ALLOC', 'HW_QUEUE_ALLOC', 'TEST_CMD', 'NEST_ALLOC',
        'NEST_MAP', 'PASID_TRANSLATION', 'GET_API_VERSION', 'CHECK_EXTENSION', 'SET_IOMMU',
        'IOMMU_GET_INFO', 'MAP_DMA', 'UNMAP_DMA', 'GROUP_GET_STATUS', 'SET_CONTAINER',
        'UNSET_CONTAINER', 'GET_DEVICE_FD', 'DEVICE_GET_INFO', 'REGION_INFO', 'IRQ_INFO',
        'SET_IRQS', 'RESET', 'BIND', 'ATTACH_PT', 'DETACH_PT']
IOMMU, VFIO = 0, 23  # node indices
GROUPS = range(1, 12)
CDEVS = range(12, 23)
# Nodes sort as strings: /dev/vfio/2 (dmatest0) is node 4, 3 (dmatest1) 5,
# 4 (mf0, mf1) 6, 8 and 9 (the idxd mdevs) 10 and 11, 10 (swcopy) 3. With
# the index of their function's name in fuzz_ioctl.c's list.
TYPE1_GROUPS = {'dmatest0': (4, 0), 'dmatest1': (5, 1), 'mf0': (6, 6), 'dsa_dwq': (10, 9),
                'swcopy': (3, 11)}


def slot(n):
    return 0x60 + n


def op_open(s, node):
    return bytes([0, s, node, 0])


def op_ioctl(s, cmd, body=b'', keep=None):
    b = bytes([6, slot(s), CMDS.index(cmd)])
    if cmd in ('CHECK_EXTENSION', 'SET_IOMMU'):
        b += bytes([body[0]])
    elif cmd in ('SET_CONTAINER',):
        b += bytes([slot(body[0])])
    elif cmd == 'GET_DEVICE_FD':
        b += bytes([body[0]])
    elif cmd not in ('GET_API_VERSION', 'UNSET_CONTAINER', 'RESET'):
        b += bytes([len(body)]) + body
    if keep is not None:
        b += bytes([keep])
    return b


def op_mmap(s, region, page, pages=1, prot=3):
    return bytes([3, slot(s), pages - 1, region, page, prot, 0])


def op_rw(kind, s, region, off, length):
    """kind 0 pread, 1 pwrite, 2 read, 3 write; the buffer in scratch."""
    return bytes([2 | (kind << 4), slot(s), region]) + struct.pack('<HHQ', off, length, 1)


def st(fmt, *v):
    return struct.pack('<' + fmt, *v)


SCRATCH = 1  # steer_ptr: scratch + 0
RW = 3


def ioctl_seeds():
    s = {}
    base = op_open(0, IOMMU) + op_ioctl(0, 'IOAS_ALLOC', st('III', 12, 0, 0))
    mapped = base + op_ioctl(0, 'IOAS_MAP', st('IIIIQQQ', 40, RW | 1, 1, 0, SCRATCH,
                                              0x10000, 0x1000000))
    s['ioas_map'] = mapped + op_ioctl(0, 'UNMAP', st('IIQQ', 24, 1, 0x1000000, 0x10000))
    mock = st('IIII', 72, 2, 1, 0) + bytes(56)
    s['mock_domain'] = mapped + op_ioctl(0, 'TEST_CMD', mock) + \
        op_ioctl(0, 'HWPT_ALLOC', st('IIIIIIIIQI', 48, 0, 3, 1, 0, 0, 0, 0, 0, 0) + bytes(4))
    s['iova_ranges'] = base + op_ioctl(0, 'IOVA_RANGES', st('IIIIQQ', 32, 1, 4, 0, 5, 0))
    s['fault_viommu'] = mapped + op_ioctl(0, 'TEST_CMD', mock) + \
        op_ioctl(0, 'FAULT_ALLOC', st('IIII', 16, 0, 0, 0), keep=4)
    for name, (g, dev) in TYPE1_GROUPS.items():
        s['type1_' + name] = (op_open(1, VFIO) + op_open(2, g) +
                              op_ioctl(2, 'SET_CONTAINER', bytes([1])) +
                              op_ioctl(1, 'SET_IOMMU', bytes([3])) +
                              op_ioctl(2, 'GET_DEVICE_FD', bytes([dev]), keep=3) +
                              op_ioctl(1, 'MAP_DMA', st('IIQQQ', 32, 3, SCRATCH, 0x100000,
                                                        0x10000)) +
                              op_ioctl(3, 'DEVICE_GET_INFO', st('IIIII', 20, 0, 0, 0, 0)) +
                              op_ioctl(1, 'IOMMU_GET_INFO', st('IIQI', 24, 0, 0, 0) +
                                       bytes(64)) +
                              op_ioctl(3, 'REGION_INFO', st('IIIIQQ', 32, 0, 0, 0, 0, 0)) +
                              op_mmap(3, 0, 0) +
                              op_rw(0, 3, 7, 0, 64) +
                              op_ioctl(3, 'IRQ_INFO', st('IIII', 16, 0, 2, 0)) +
                              op_ioctl(3, 'SET_IRQS', st('IIIII', 24, 0x24, 2, 0, 1) +
                                       bytes([0x20, 0, 0, 0])) +
                              op_ioctl(1, 'UNMAP_DMA', st('IIQQ', 32, 0, 0x100000, 0x10000) +
                                       bytes(8)) +
                              op_ioctl(3, 'RESET'))
    s['map_file_copy'] = (mapped + op_ioctl(0, 'IOAS_ALLOC', st('III', 12, 0, 0)) +
                          op_ioctl(0, 'MAP_FILE', st('IIIiQQQ', 40, 7, 1, 0, 0, 0x10000,
                                                     0x2000000)) +
                          op_ioctl(0, 'COPY', st('IIIIQQQ', 40, 7, 2, 1, 0x10000, 0x3000000,
                                                 0x2000000)) +
                          op_ioctl(0, 'IOVA_RANGES', st('IIIIQQ', 32, 2, 4, 0, 5, 0)) +
                          op_ioctl(0, 'DESTROY', st('II', 8, 2)))
    for c in (12, 13, 16, 17, 20):
        s['cdev%d' % c] = (base + op_open(2, c) +
                           op_ioctl(2, 'BIND', st('IIiI', 24, 0, 0, 0) + bytes(8)) +
                           op_ioctl(2, 'ATTACH_PT', st('IIII', 16, 0, 1, 0)) +
                           op_ioctl(0, 'IOAS_MAP', st('IIIIQQQ', 40, RW | 1, 1, 0, SCRATCH,
                                                      0x10000, 0x1000000)) +
                           op_ioctl(2, 'DETACH_PT', st('II', 8, 0)))
    # BIND's iommufd field is a descriptor byte: slot 0.
    for k in list(s):
        if k.startswith('cdev'):
            s[k] = s[k].replace(st('IIiI', 24, 0, 0, 0), st('IIiI', 24, 0, slot(0), 0))
    return s


# ---- fuzz_dsa (fuzz_dsa.c: ops by byte % 8; addresses steered by their
# low 3 bits, 0: TENANT_IOVA + (v >> 3) % WIN) ----
OP_NOOP, OP_BATCH, OP_DRAIN, OP_MEMMOVE, OP_MEMFILL, OP_COMPARE, OP_COMPVAL = range(7)
OP_CRCGEN, OP_COPY_CRC = 0x10, 0x11
CRAV, RCR, CR = 0x4, 0x8, 0x80
WIN = 64 << 10


def in_win(off):
    return off << 3  # steer mode 0: inside the mapping


def desc(op, flags=CRAV | RCR, comp=0, src=0, dst=0, size=0, rest=b''):
    d = st('IIQQQIHH', 0, (op << 24) | flags, comp, src, dst, size, 0, 0) + rest
    return d + bytes(64 - len(d))


def submit(d, how=3, batch=None, portal=0):
    b = bytes([0]) + d + bytes([how | (4 if batch else 0)])
    if batch:
        off, descs = batch
        b += st('H', off)
        for x in descs:
            b += x
    return b + bytes([portal])


def dsa_cmd(cmd, operand=0):
    return bytes([5, cmd]) + st('H', operand)


def reg(kind, off, val=0, size=2, read=False):
    return bytes([kind, size]) + st('HQ', off, val) + bytes([1 if read else 0])


def dsa_seeds():
    cr = in_win(0xf000)
    s = {}
    s['memmove'] = submit(desc(OP_MEMMOVE, comp=cr, src=in_win(0), dst=in_win(0x4000),
                               size=0x2000))
    s['memfill'] = submit(desc(OP_MEMFILL, comp=cr, src=0x5a5a5a5a5a5a5a58, dst=in_win(0x100),
                               size=0x800), how=1)
    s['compare'] = submit(desc(OP_COMPARE, flags=CRAV | RCR | CR, comp=cr, src=in_win(0),
                               dst=in_win(0x2000), size=0x1000))
    s['compval'] = submit(desc(OP_COMPVAL, comp=cr, src=0, dst=in_win(0x2000), size=0x100))
    s['crcgen'] = submit(desc(OP_CRCGEN, comp=cr, src=in_win(0x40), size=0x400))
    s['copy_crc'] = submit(desc(OP_COPY_CRC, comp=cr, src=in_win(0x40), dst=in_win(0x8000),
                                size=0x400))
    s['fault_out'] = submit(desc(OP_MEMMOVE, comp=cr, src=in_win(0), dst=3 | (0x10 << 3),
                                 size=0x2000))
    s['fault_cr'] = submit(desc(OP_MEMMOVE, comp=5, src=in_win(0), dst=in_win(0x1000),
                                size=0x100))
    s['drain'] = submit(desc(OP_DRAIN, comp=cr)) + dsa_cmd(8, 1)
    batch = [desc(OP_MEMMOVE, comp=in_win(0xe000 + 32 * i), src=in_win(0x1000 * i),
                  dst=in_win(0x8000 + 0x1000 * i), size=0x800) for i in range(4)]
    s['batch'] = submit(desc(OP_BATCH, comp=cr, src=in_win(0xc000), size=4),
                        batch=(0xc000 // 64, batch))
    s['regs'] = (reg(3, 0x0, read=True) + reg(3, 0x10, read=True, size=3) +
                 reg(3, 0x800, read=True, size=2) + reg(3, 0x808, 0x10000000 | (5 << 8)) +
                 reg(4, 0x04, 0x6, size=1) + reg(4, 0x0, read=True) + dsa_cmd(7, 1) +
                 dsa_cmd(6, 0) + reg(3, 0xc0, read=True, size=3) + reg(3, 0x98, 3))
    s['reset'] = (submit(desc(OP_MEMMOVE, comp=cr, src=in_win(0), dst=in_win(0x1000),
                              size=0x100)) + bytes([6]) + reg(4, 0x04, 0x6, size=1) +
                  dsa_cmd(1) + dsa_cmd(6, 0) + submit(desc(OP_NOOP, comp=cr)))
    s['msix'] = (reg(3, 0x2000, 0xfee00000, size=2) + reg(3, 0x2008, 0x40, size=2) +
                 reg(3, 0x200c, 0, size=2) +
                 submit(desc(OP_NOOP, flags=CRAV | RCR | 0x10, comp=cr)))
    return s


# ---- fuzz_vtd (fuzz_vtd.c: arena pages ROOT 0, IQ 1, STATUS 2, PRQ 3,
# the rest the driver's; a table word in mode 1 points at page 4 + (v >> 12)
# % 60 with v's flag bits) ----
PG_FREE = 4
CTX0, CTX1, PDIR, PTBL, L4, L3, L2, L1, DATA = 4, 5, 6, 7, 8, 9, 10, 11, 12
FS4, FS3, FS2, FS1 = 20, 21, 22, 23
DMATEST0, DMATEST1, DSA0 = 0, 1, 2
DEVFN = {DMATEST0: 0x10, DMATEST1: 0x18, DSA0: 0}


def word(page, qword, v, mode=0):
    return bytes([2]) + st('H', page * 512 + qword) + bytes([mode]) + st('Q', v)


def ptr(page, qword, target, flags):
    """A table word pointing at a driver page."""
    return word(page, qword, ((target - PG_FREE) << 12) | flags, 1)


def vtd_queue(q0, q1=0):
    return bytes([5]) + st('QQ', q0, q1)


def vtd_dma(dev, iova, length, write=False, pasid=None):
    f = (1 if pasid is not None else 0) | (4 if write else 0)
    b = bytes([6, dev, f])
    if pasid is not None:
        b += st('I', pasid)
    return b + st('Q', iova << 3) + st('H', length)  # steer mode 0: below 64 KiB


def mmio(off, v, size8=True):
    return bytes([0]) + st('H', off) + bytes([1 if size8 else 0]) + st('Q', v)


def ss_tables():
    """Second-stage tables mapping IOVA 0..16 KiB to the data pages."""
    b = ptr(L4, 0, L3, 3) + ptr(L3, 0, L2, 3) + ptr(L2, 0, L1, 3)
    for i in range(4):
        b += ptr(L1, i, DATA + i, 3)
    return b


def pasid_entry(pasid, pgtt, root, did, fs_root=None):
    q = pasid % 64
    b = ptr(PTBL, q * 8, root, 1 | (2 << 2) | (pgtt << 6))
    b += word(PTBL, q * 8 + 1, did)
    if fs_root is not None:
        b += ptr(PTBL, q * 8 + 2, fs_root, 0)
    return b


def context(bus_ctx, devfn, pdts=0, flags=1):
    return ptr(bus_ctx, devfn * 4, PDIR, flags | (pdts << 9))


def vtd_seeds():
    s = {}
    root = ptr(0, 0, CTX0, 1) + ptr(0, 2, CTX1, 1)
    ssdev = root + context(CTX0, DEVFN[DMATEST0]) + ptr(PDIR, 0, PTBL, 1) + \
        pasid_entry(0, 2, L4, 1) + ss_tables()
    s['ss_dma'] = ssdev + vtd_dma(DMATEST0, 0x10, 0x100) + \
        vtd_dma(DMATEST0, 0x1ff0, 0x40, write=True) + vtd_dma(DMATEST0, 0x8000, 16)
    # The driver unmaps a page, invalidates (domain-selective IOTLB: the
    # entries are second-stage only; then a wait with a status write) and
    # the device's next DMA faults.
    s['ss_unmap'] = ssdev + vtd_dma(DMATEST0, 0x1000, 64) + word(L1, 1, 0) + \
        vtd_queue(0x2 | (2 << 4) | (1 << 16), 0) + \
        vtd_queue(0x5 | (1 << 5) | (7 << 32), 2 | ((2 * 4096) << 3)) + \
        vtd_dma(DMATEST0, 0x1000, 64) + mmio(0x34, 0xffffffff, False)
    s['ss_stale'] = ssdev + vtd_dma(DMATEST0, 0x1000, 64) + word(L1, 1, 0) + \
        vtd_dma(DMATEST0, 0x1000, 64, write=True)
    # First stage for the DSA's PASID 1.
    fs = ptr(FS4, 0, FS3, 7) + ptr(FS3, 0, FS2, 7) + ptr(FS2, 0, FS1, 7)
    for i in range(4):
        fs += ptr(FS1, i, DATA + i, 7)
    s['fs_pasid'] = root + context(CTX1, DEVFN[DSA0], flags=1 | 8) + \
        ptr(PDIR, 0, PTBL, 1) + pasid_entry(1, 1, L4, 2, fs_root=FS4) + \
        pasid_entry(0, 2, L4, 2) + ss_tables() + fs + \
        vtd_dma(DSA0, 0x2000, 0x80, pasid=1) + vtd_dma(DSA0, 0x2000, 0x80, write=True, pasid=1) + \
        vtd_dma(DSA0, 0x2000, 0x80, pasid=5) + vtd_dma(DSA0, 0x3000, 8) + word(FS1, 2, 0) + \
        vtd_queue(0x6 | (3 << 4) | (2 << 16) | (1 << 32), 0x2000) + \
        vtd_queue(0x5 | (1 << 5) | (9 << 32), 2 | ((2 * 4096) << 3)) + \
        vtd_dma(DSA0, 0x2000, 0x80, pasid=1)
    s['nested'] = root + context(CTX1, DEVFN[DSA0], flags=1 | 8) + \
        ptr(PDIR, 0, PTBL, 1) + pasid_entry(1, 3, L4, 3, fs_root=FS4) + ss_tables() + fs + \
        vtd_dma(DSA0, 0x1000, 0x80, pasid=1)
    s['pass_through'] = root + context(CTX0, DEVFN[DMATEST1]) + ptr(PDIR, 0, PTBL, 1) + \
        pasid_entry(0, 4, L4, 4) + vtd_dma(DMATEST1, 0x200, 0x40)
    # Registers a driver touches after boot: TE off and on, a new root
    # table, the fault status, a register-based IOTLB flush.
    s['regs'] = mmio(0x18, 0x04000000, False) + vtd_dma(DMATEST0, 0x10, 8) + \
        mmio(0x20, (2 << 12) | 0x800) + mmio(0x18, 0x40000000 | 0x04000000, False) + \
        mmio(0x18, 0x84000000, False) + mmio(0x34, 0xffffffff, False) + \
        bytes([1]) + st('H', 0x1c) + bytes([0]) + bytes([1]) + st('H', 0x220) + bytes([1])
    s['qi_errors'] = vtd_queue(0xf) + vtd_queue(0x5 | (1 << 4)) + vtd_queue(0x3 | (5 << 16)) + \
        mmio(0x88, 0x30) + mmio(0x34, 0x10, False)
    return s


def write(harness, seeds):
    d = os.path.join(HERE, 'corpus', harness)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    write('fuzz_ioctl', ioctl_seeds())
    write('fuzz_dsa', dsa_seeds())
    write('fuzz_vtd', vtd_seeds())
    print('seeds written', file=sys.stderr)
