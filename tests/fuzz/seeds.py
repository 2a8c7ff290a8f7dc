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
        op_ioctl(0, 'FAULT_ALLOC', st('III', 12, 0, 0))
    for g in (1, 2, 4, 5):
        s['type1_group%d' % g] = (op_open(1, VFIO) + op_open(2, g) +
                                  op_ioctl(2, 'SET_CONTAINER', bytes([1])) +
                                  op_ioctl(1, 'SET_IOMMU', bytes([3])) +
                                  op_ioctl(2, 'GET_DEVICE_FD', bytes([0]), keep=3) +
                                  op_ioctl(1, 'MAP_DMA', st('IIQQQ', 32, 3, SCRATCH, 0x100000,
                                                            0x10000)) +
                                  op_ioctl(3, 'DEVICE_GET_INFO', st('IIIII', 20, 0, 0, 0, 0)) +
                                  op_ioctl(1, 'IOMMU_GET_INFO', st('IIQI', 24, 0, 0, 0) +
                                           bytes(64)))
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


def write(harness, seeds):
    d = os.path.join(HERE, 'corpus', harness)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    write('fuzz_ioctl', ioctl_seeds())
    print('seeds written', file=sys.stderr)
