/* SPDX-License-Identifier: BSD-3-Clause */
/* Configuration space and capability structures of an emulated PCI function. */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "pci.h"
#include "../../util/compiler.h"

static const char *const kind_names[PCI_KIND_COUNT] = {
	[PCI_KIND_HOST_BRIDGE] = "host_bridge",
	[PCI_KIND_RC_ENDPOINT] = "rc_endpoint",
	[PCI_KIND_ENDPOINT] = "endpoint",
	[PCI_KIND_ROOT_PORT] = "root_port",
	[PCI_KIND_SWITCH_UP] = "switch_upstream",
	[PCI_KIND_SWITCH_DOWN] = "switch_downstream",
	[PCI_KIND_PCIE_PCI_BRIDGE] = "pcie_pci_bridge",
	[PCI_KIND_PCI_ENDPOINT] = "pci_endpoint",
};

const char *hw_pci_kind_name(enum hw_pci_kind k)
{
	return k < PCI_KIND_COUNT ? kind_names[k] : "?";
}

int hw_pci_kind_parse(const char *s, enum hw_pci_kind *k)
{
	for (unsigned i = 0; i < PCI_KIND_COUNT; i++) {
		if (!strcmp(s, kind_names[i])) {
			*k = (enum hw_pci_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool hw_pci_kind_is_bridge(enum hw_pci_kind k)
{
	return k == PCI_KIND_ROOT_PORT || k == PCI_KIND_SWITCH_UP || k == PCI_KIND_SWITCH_DOWN ||
	       k == PCI_KIND_PCIE_PCI_BRIDGE;
}

uint32_t hw_pci_cfg_read(const struct hw_pci_function *d, unsigned off, unsigned size)
{
	if ((size != 1 && size != 2 && size != 4) || off + size > PCI_CFG_SPACE_EXP_SIZE ||
	    (off & (size - 1)))
		return ~0u;
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)hw_pci_cfg_ld(d, off + i) << (8 * i);
	return v;
}

/* Does a write of `size` bytes at `off` set `bit` of the byte at `at`? */
static bool writes_bit(unsigned off, unsigned size, uint32_t val, unsigned at, uint8_t bit)
{
	return off <= at && at < off + size && ((val >> (8 * (at - off))) & bit);
}

int hw_pci_cfg_write(struct hw_pci_function *d, unsigned off, unsigned size, uint32_t val)
{
	if ((size != 1 && size != 2 && size != 4) || off + size > PCI_CFG_SPACE_EXP_SIZE ||
	    (off & (size - 1)))
		return -EINVAL;
	for (unsigned i = 0; i < size; i++) {
		uint8_t m = d->wmask[off + i];
		uint8_t b = (uint8_t)(val >> (8 * i));
		hw_pci_cfg_st(d, off + i, (uint8_t)((hw_pci_cfg_ld(d, off + i) & ~m) | (b & m)));
	}
	/* Initiate FLR (PCIe DEVCTL, or the conventional AF capability): the
	 * bit is a command and reads back as 0. */
	if ((d->cap_exp && writes_bit(off, size, val, d->cap_exp + PCI_EXP_DEVCTL + 1,
				      PCI_EXP_DEVCTL_BCR_FLR >> 8) &&
	     (hw_pci_cfg_read(d, d->cap_exp + PCI_EXP_DEVCAP, 4) & PCI_EXP_DEVCAP_FLR)) ||
	    (d->cap_af && writes_bit(off, size, val, d->cap_af + PCI_AF_CTRL, PCI_AF_CTRL_FLR))) {
		hw_pci_function_reset(d);
		return 0;
	}
	/* A PRI reset clears the outstanding-request accounting (10.5.2.2). */
	unsigned pri_ctrl = d->ecap_pri + PCI_PRI_CTRL;
	if (d->ecap_pri && off <= pri_ctrl && off + size > pri_ctrl) {
		uint16_t ctrl = hw_pci_cfg_get16(d, d->ecap_pri + PCI_PRI_CTRL);
		if (ctrl & PCI_PRI_CTRL_RESET) {
			pthread_mutex_lock(&d->pri_lock);
			d->pri_outstanding = 0;
			pthread_mutex_unlock(&d->pri_lock);
			uint16_t st = hw_pci_cfg_get16(d, d->ecap_pri + PCI_PRI_STATUS);
			st &= (uint16_t)~(PCI_PRI_STATUS_RF | PCI_PRI_STATUS_UPRGI);
			hw_pci_cfg_set16(d, d->ecap_pri + PCI_PRI_STATUS, st);
			hw_pci_cfg_set16(d, d->ecap_pri + PCI_PRI_CTRL, ctrl & ~PCI_PRI_CTRL_RESET);
		}
	}
	/* Unmasking (or enabling) sends what was pending. */
	hw_pci_msi_cfg_written(d, off, size);
	return 0;
}

void hw_pci_cfg_set8(struct hw_pci_function *d, unsigned off, uint8_t v)
{
	hw_pci_cfg_st(d, off, v);
}

void hw_pci_cfg_set16(struct hw_pci_function *d, unsigned off, uint16_t v)
{
	hw_pci_cfg_st(d, off, (uint8_t)v);
	hw_pci_cfg_st(d, off + 1, (uint8_t)(v >> 8));
}

void hw_pci_cfg_set32(struct hw_pci_function *d, unsigned off, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		hw_pci_cfg_st(d, off + i, (uint8_t)(v >> (8 * i)));
}

static void wmask16(struct hw_pci_function *d, unsigned off, uint16_t m)
{
	d->wmask[off] = (uint8_t)m;
	d->wmask[off + 1] = (uint8_t)(m >> 8);
}

int hw_pci_add_exp_cap(struct hw_pci_function *d, enum pci_exp_type type)
{
	unsigned off = d->cap_next ? d->cap_next : 0x40;
	if (d->cap_exp || off + PCI_EXP_SIZEOF > PCI_CFG_SPACE_SIZE)
		return -EEXIST;
	/* Link it at the head of the standard list. */
	hw_pci_cfg_set8(d, off, PCI_CAP_ID_EXP);
	hw_pci_cfg_set8(d, off + 1, d->cfg[PCI_CAPABILITY_LIST]);
	hw_pci_cfg_set16(d, off + PCI_EXP_FLAGS,
			 (uint16_t)(2 | (type << PCI_EXP_FLAGS_TYPE_SHIFT)));
	/* Functions reset themselves (FLR); ports do not. Every PCIe
	 * function passes PASID prefixes unless a port is told otherwise. */
	if (type == PCI_EXP_TYPE_ENDPOINT || type == PCI_EXP_TYPE_LEG_END ||
	    type == PCI_EXP_TYPE_RC_END)
		hw_pci_cfg_set32(d, off + PCI_EXP_DEVCAP, PCI_EXP_DEVCAP_FLR);
	hw_pci_cfg_set32(d, off + PCI_EXP_DEVCAP2, PCI_EXP_DEVCAP2_EE_PREFIX);
	d->cfg[PCI_CAPABILITY_LIST] = (uint8_t)off;
	d->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	d->cap_exp = (uint16_t)off;
	d->cap_next = (uint8_t)(off + PCI_EXP_SIZEOF);
	return 0;
}

/* Append an extended capability header; returns its offset or 0. */
static uint16_t add_ext_cap(struct hw_pci_function *d, uint16_t id, unsigned version, unsigned size)
{
	uint16_t off = d->ecap_next ? d->ecap_next : PCI_EXT_CAP_START;
	if (off + size > PCI_CFG_SPACE_EXP_SIZE)
		return 0;
	hw_pci_cfg_set32(d, off, (uint32_t)id | (version << 16));
	if (off != PCI_EXT_CAP_START) {
		/* Chain from the previous one: walk to the end of the list. */
		uint16_t p = PCI_EXT_CAP_START;
		for (;;) {
			uint32_t h = hw_pci_cfg_read(d, p, 4);
			uint16_t next = (uint16_t)(h >> 20);
			if (!next) {
				hw_pci_cfg_set32(d, p, (h & 0xfffff) | ((uint32_t)off << 20));
				break;
			}
			p = next;
		}
	}
	d->ecap_next = (uint16_t)ALIGN_UP(off + size, 4u);
	return off;
}

int hw_pci_add_acs_cap(struct hw_pci_function *d, uint16_t caps)
{
	if (d->ecap_acs)
		return -EEXIST;
	uint16_t off = add_ext_cap(d, PCI_EXT_CAP_ID_ACS, 1, PCI_ACS_SIZEOF);
	if (!off)
		return -ENOSPC;
	hw_pci_cfg_set16(d, off + PCI_ACS_CAP, caps);
	wmask16(d, off + PCI_ACS_CTRL, caps);
	d->ecap_acs = off;
	return 0;
}

int hw_pci_add_ats_cap(struct hw_pci_function *d, unsigned qdep)
{
	if (d->ecap_ats)
		return -EEXIST;
	uint16_t off = add_ext_cap(d, PCI_EXT_CAP_ID_ATS, 1, PCI_ATS_SIZEOF);
	if (!off)
		return -ENOSPC;
	/* Queue depth 0 encodes 32 outstanding invalidations. */
	hw_pci_cfg_set16(d, off + PCI_ATS_CAP,
			 (uint16_t)(PCI_ATS_CAP_QDEP(qdep) | PCI_ATS_CAP_PAGE_ALIGNED));
	wmask16(d, off + PCI_ATS_CTRL, PCI_ATS_CTRL_ENABLE | 0x1f);
	d->ecap_ats = off;
	return 0;
}

int hw_pci_add_pri_cap(struct hw_pci_function *d, uint32_t max_requests)
{
	if (d->ecap_pri)
		return -EEXIST;
	uint16_t off = add_ext_cap(d, PCI_EXT_CAP_ID_PRI, 1, PCI_PRI_SIZEOF);
	if (!off)
		return -ENOSPC;
	hw_pci_cfg_set16(d, off + PCI_PRI_STATUS, PCI_PRI_STATUS_STOPPED | PCI_PRI_STATUS_PASID);
	hw_pci_cfg_set32(d, off + PCI_PRI_MAX_REQ, max_requests);
	wmask16(d, off + PCI_PRI_CTRL, PCI_PRI_CTRL_ENABLE | PCI_PRI_CTRL_RESET);
	for (unsigned i = 0; i < 4; i++)
		d->wmask[off + PCI_PRI_ALLOC_REQ + i] = 0xff;
	d->ecap_pri = off;
	return 0;
}

int hw_pci_add_pasid_cap(struct hw_pci_function *d, unsigned width, bool exec, bool priv)
{
	if (d->ecap_pasid)
		return -EEXIST;
	if (width < 1 || width > 20)
		return -EINVAL;
	uint16_t off = add_ext_cap(d, PCI_EXT_CAP_ID_PASID, 1, PCI_PASID_SIZEOF);
	if (!off)
		return -ENOSPC;
	uint16_t cap = (uint16_t)((width & 0x1f) << 8);
	uint16_t ctrl_mask = PCI_PASID_CTRL_ENABLE;
	if (exec) {
		cap |= PCI_PASID_CAP_EXEC;
		ctrl_mask |= PCI_PASID_CTRL_EXEC;
	}
	if (priv) {
		cap |= PCI_PASID_CAP_PRIV;
		ctrl_mask |= PCI_PASID_CTRL_PRIV;
	}
	hw_pci_cfg_set16(d, off + PCI_PASID_CAP, cap);
	wmask16(d, off + PCI_PASID_CTRL, ctrl_mask);
	d->ecap_pasid = off;
	return 0;
}

int hw_pci_add_dvsec(struct hw_pci_function *d, uint16_t vendor, uint16_t id, uint16_t len)
{
	if (len < 0xc)
		return -EINVAL;
	uint16_t off = add_ext_cap(d, PCI_EXT_CAP_ID_DVSEC, 1, len);
	if (!off)
		return -ENOSPC;
	hw_pci_cfg_set32(d, off + PCI_DVSEC_HEADER1, (uint32_t)vendor | ((uint32_t)len << 20));
	hw_pci_cfg_set16(d, off + PCI_DVSEC_HEADER2, id);
	if (!d->ecap_dvsec)
		d->ecap_dvsec = off;
	return 0;
}

int hw_pci_add_af_cap(struct hw_pci_function *d)
{
	unsigned off = d->cap_next ? d->cap_next : 0x40;
	if (d->cap_af || off + PCI_AF_SIZEOF > PCI_CFG_SPACE_SIZE)
		return -EEXIST;
	hw_pci_cfg_set8(d, off, PCI_CAP_ID_AF);
	hw_pci_cfg_set8(d, off + PCI_CAP_LIST_NEXT, d->cfg[PCI_CAPABILITY_LIST]);
	hw_pci_cfg_set8(d, off + PCI_AF_LENGTH, PCI_AF_SIZEOF);
	hw_pci_cfg_set8(d, off + PCI_AF_CAP, PCI_AF_CAP_FLR);
	d->cfg[PCI_CAPABILITY_LIST] = (uint8_t)off;
	d->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	d->cap_af = (uint16_t)off;
	d->cap_next = (uint8_t)ALIGN_UP(off + PCI_AF_SIZEOF, 4u);
	return 0;
}

int hw_pci_set_bar(struct hw_pci_function *d, unsigned bar, uint64_t size)
{
	if (bar + 1 >= PCI_MAX_BARS || size < 16 || size > (1ull << 40) ||
	    hw_pci_kind_is_bridge(d->kind))
		return -EINVAL;
	unsigned reg = PCI_BASE_ADDRESS_0 + 4 * bar;
	/* The address bits below the size read back as zero: writing all
	 * ones and reading back tells the size. A BAR decodes a power of two;
	 * the model answers only within `size` of it. */
	uint64_t decoded = 16;
	while (decoded < size)
		decoded <<= 1;
	uint64_t mask = ~(decoded - 1);
	hw_pci_cfg_set32(d, reg, PCI_BASE_ADDRESS_MEM_TYPE_64);
	hw_pci_cfg_set32(d, reg + 4, 0);
	for (unsigned i = 0; i < 8; i++)
		d->wmask[reg + i] = (uint8_t)(mask >> (8 * i));
	d->wmask[reg] &= (uint8_t)PCI_BASE_ADDRESS_MEM_MASK;
	d->bar_size[bar] = size;
	return 0;
}

void hw_pci_set_tlp_prefix(struct hw_pci_function *d, bool passes)
{
	if (!d->cap_exp)
		return;
	uint32_t cap2 = hw_pci_cfg_read(d, d->cap_exp + PCI_EXP_DEVCAP2, 4);
	if (passes)
		cap2 |= PCI_EXP_DEVCAP2_EE_PREFIX;
	else
		cap2 &= ~(uint32_t)PCI_EXP_DEVCAP2_EE_PREFIX;
	hw_pci_cfg_set32(d, d->cap_exp + PCI_EXP_DEVCAP2, cap2);
}

int hw_pci_set_dma_aliases(struct hw_pci_function *d, const uint8_t *devfns, unsigned n)
{
	if (n > PCI_MAX_ALIASES || d->nr_aliases)
		return -EINVAL;
	if (!n)
		return 0;
	uint16_t off = add_ext_cap(d, PCI_EXT_CAP_ID_VNDR, 1, PCI_VSEC_DMA_ALIAS_SIZEOF);
	if (!off)
		return -ENOSPC;
	hw_pci_cfg_set32(d, off + PCI_VNDR_HEADER,
			 PCI_VSEC_ID_DMA_ALIAS | (1u << 16) | (PCI_VSEC_DMA_ALIAS_SIZEOF << 20));
	hw_pci_cfg_set8(d, off + PCI_VSEC_DMA_ALIAS_NR, (uint8_t)n);
	for (unsigned i = 0; i < n; i++) {
		hw_pci_cfg_set8(d, off + PCI_VSEC_DMA_ALIAS_DEVFN + i, devfns[i]);
		d->aliases[i] = devfns[i];
	}
	d->nr_aliases = n;
	return 0;
}

uint16_t hw_pci_find_ext_cap(const struct hw_pci_function *d, uint16_t id)
{
	uint16_t p = PCI_EXT_CAP_START;
	for (unsigned guard = 0; p && guard < 64; guard++) {
		uint32_t h = hw_pci_cfg_read(d, p, 4);
		if (h == 0 || h == ~0u)
			return 0;
		if ((h & 0xffff) == id)
			return p;
		p = (uint16_t)(h >> 20);
	}
	return 0;
}

unsigned hw_pci_pasid_width(const struct hw_pci_function *d)
{
	if (!d->ecap_pasid)
		return 0;
	return PCI_PASID_CAP_WIDTH(hw_pci_cfg_get16(d, d->ecap_pasid + PCI_PASID_CAP));
}

bool hw_pci_pasid_enabled(const struct hw_pci_function *d)
{
	return d->ecap_pasid &&
	       (hw_pci_cfg_get16(d, d->ecap_pasid + PCI_PASID_CTRL) & PCI_PASID_CTRL_ENABLE);
}

bool hw_pci_pasid_priv_enabled(const struct hw_pci_function *d)
{
	return d->ecap_pasid &&
	       (hw_pci_cfg_get16(d, d->ecap_pasid + PCI_PASID_CTRL) & PCI_PASID_CTRL_PRIV);
}

bool hw_pci_ats_enabled(const struct hw_pci_function *d)
{
	return d->ecap_ats &&
	       (hw_pci_cfg_get16(d, d->ecap_ats + PCI_ATS_CTRL) & PCI_ATS_CTRL_ENABLE);
}

bool hw_pci_pri_enabled(const struct hw_pci_function *d)
{
	return d->ecap_pri &&
	       (hw_pci_cfg_get16(d, d->ecap_pri + PCI_PRI_CTRL) & PCI_PRI_CTRL_ENABLE);
}

uint16_t hw_pci_acs_ctrl(const struct hw_pci_function *d)
{
	return d->ecap_acs ? hw_pci_cfg_get16(d, d->ecap_acs + PCI_ACS_CTRL) : 0;
}

bool hw_pci_is_pcie(const struct hw_pci_function *d)
{
	return d->cap_exp != 0;
}

enum pci_exp_type hw_pci_pcie_type(const struct hw_pci_function *d)
{
	return (enum pci_exp_type)((hw_pci_cfg_get16(d, d->cap_exp + PCI_EXP_FLAGS) >> 4) & 0xf);
}

void hw_pci_function_reset(struct hw_pci_function *d)
{
	/* Control registers return to their power-on value: everything
	 * software can write is cleared, except bridge bus numbers which
	 * firmware owns in this model. */
	for (unsigned off = 0; off < PCI_CFG_SPACE_EXP_SIZE; off++) {
		if (off >= PCI_PRIMARY_BUS && off <= PCI_SUBORDINATE_BUS)
			continue;
		hw_pci_cfg_st(d, off, hw_pci_cfg_ld(d, off) & (uint8_t)~d->wmask[off]);
	}
	if (d->ecap_pri)
		hw_pci_cfg_set16(d, d->ecap_pri + PCI_PRI_STATUS,
				 PCI_PRI_STATUS_STOPPED | PCI_PRI_STATUS_PASID);
	pthread_mutex_lock(&d->pri_lock);
	d->pri_outstanding = 0;
	pthread_mutex_unlock(&d->pri_lock);
	hw_pci_msi_reset(d);
	if (d->ops && d->ops->reset)
		d->ops->reset(d);
}

int hw_pci_set_bar_memory(struct hw_pci_function *d, unsigned bar, uint64_t size)
{
	if (bar >= PCI_MAX_BARS || size < 4096 || (size & (size - 1)) || d->bar_mem[bar])
		return -EINVAL;
	int rc = hw_pci_set_bar(d, bar, size);
	if (rc)
		return rc;
	int fd = memfd_create("uiommu-bar", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	void *p = MAP_FAILED;
	if (ftruncate(fd, (off_t)size) == 0)
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		close(fd);
		return -ENOMEM;
	}
	d->bar_memfd[bar] = fd;
	d->bar_mem[bar] = p;
	return 0;
}

void hw_pci_bar_memory_free(struct hw_pci_function *d)
{
	for (unsigned b = 0; b < PCI_MAX_BARS; b++) {
		if (!d->bar_mem[b])
			continue;
		munmap(d->bar_mem[b], d->bar_size[b]);
		close(d->bar_memfd[b]);
		d->bar_mem[b] = NULL;
		d->bar_memfd[b] = -1;
	}
}

/* Plain memory answers as memory, decoding permitting. */
static int bar_memory_rw(struct hw_pci_function *d, unsigned bar, uint64_t off, unsigned size,
			 uint64_t *val, bool write)
{
	bool decode = d->cfg[PCI_COMMAND] & PCI_COMMAND_MEMORY;
	if (write) {
		if (decode)
			memcpy(d->bar_mem[bar] + off, val, size);
	} else {
		*val = decode ? 0 : ~0ull;
		if (decode)
			memcpy(val, d->bar_mem[bar] + off, size);
	}
	return 0;
}

int hw_pci_bar_read(struct hw_pci_function *d, unsigned bar, uint64_t off, unsigned size,
		    uint64_t *val)
{
	if (bar >= PCI_MAX_BARS || !d->bar_size[bar] || off >= d->bar_size[bar] ||
	    size > d->bar_size[bar] - off)
		return -EINVAL;
	if (d->bar_mem[bar])
		return bar_memory_rw(d, bar, off, size, val, false);
	if (hw_pci_msix_bar_access(d, bar, off, size, val, false))
		return 0;
	if (!d->ops || !d->ops->bar_read)
		return -ENODEV;
	return d->ops->bar_read(d, bar, off, size, val);
}

int hw_pci_bar_write(struct hw_pci_function *d, unsigned bar, uint64_t off, unsigned size,
		     uint64_t val)
{
	if (bar >= PCI_MAX_BARS || !d->bar_size[bar] || off >= d->bar_size[bar] ||
	    size > d->bar_size[bar] - off)
		return -EINVAL;
	if (d->bar_mem[bar])
		return bar_memory_rw(d, bar, off, size, &val, true);
	if (hw_pci_msix_bar_access(d, bar, off, size, &val, true))
		return 0;
	if (!d->ops || !d->ops->bar_write)
		return -ENODEV;
	return d->ops->bar_write(d, bar, off, size, val);
}
