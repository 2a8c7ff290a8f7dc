/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A soak tenant: one device of a VM, opened as a VFIO cdev, bound to the
 * VM's /dev/iommu and attached to an IOAS of its own - a pdev (dmatest,
 * DMA through its RID), an idxd mdev (a dedicated WQ of the DSA, DMA
 * through the parent's RID and the mdev's default PASID) or a software
 * mdev (a copy engine reaching memory through an ACCESS) - and its thread,
 * which copies between its pages without pause and has the oracle judge
 * every copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <linux/vfio.h>

#include <uapi/linux/iommufd.h>
#include <uapi/linux/vfio_cdev.h>
#include <uiommu/files.h>
#include <uiommu/hw/dmatest.h>
#include <uiommu/hw/dsa.h>
#include <uiommu/iommu.h>
#include <uiommu/mdev.h>
#include <uiommu/vfio.h>

#include "soak_int.h"

#define CFG_OFF   UIOMMU_VFIO_REGION_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX)
#define BAR0_OFF  UIOMMU_VFIO_REGION_OFFSET(VFIO_PCI_BAR0_REGION_INDEX)
#define BAR2_OFF  UIOMMU_VFIO_REGION_OFFSET(VFIO_PCI_BAR2_REGION_INDEX)
#define CR_SLOTS  (SOAK_PG / 32)        /* completion records, used in turn */
#define CR_WAIT_NS 2000000000ll         /* a DSA answers well within this */
#define STRAY_ONE_IN 32                 /* DMAs aimed at the victim page */

static int ioc(int fd, unsigned long cmd, void *arg)
{
	long rc = uiommu_ioctl(fd, cmd, (unsigned long)(uintptr_t)arg);
	return rc < 0 ? (int)rc : 0;
}

/* ---- the ioctls the driver thread and the setup use ---- */

int soak_ioas_map(struct soak_tenant *t, uint64_t iova, void *va)
{
	struct iommu_ioas_map m = { .size = sizeof(m), .ioas_id = t->ioas,
				    .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
					     IOMMU_IOAS_MAP_WRITEABLE,
				    .user_va = (uintptr_t)va, .length = SOAK_PG, .iova = iova };
	return ioc(t->ifd, IOMMU_IOAS_MAP, &m);
}

int soak_ioas_unmap(struct soak_tenant *t, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = t->ioas, .iova = iova,
				      .length = len };
	return ioc(t->ifd, IOMMU_IOAS_UNMAP, &u);
}

int soak_attach(struct soak_tenant *t, uint32_t *pt)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = *pt };
	int rc = ioc(t->dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);
	if (!rc)
		*pt = a.pt_id;
	return rc;
}

int soak_detach(struct soak_tenant *t)
{
	struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof(d) };
	return ioc(t->dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d);
}

int soak_hwpt_alloc(struct soak_tenant *t, uint32_t *out)
{
	struct iommu_hwpt_alloc c = { .size = sizeof(c), .dev_id = t->devid, .pt_id = t->ioas };
	int rc = ioc(t->ifd, IOMMU_HWPT_ALLOC, &c);
	*out = rc ? 0 : c.out_hwpt_id;
	return rc;
}

int soak_destroy(int fd, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };
	return ioc(fd, IOMMU_DESTROY, &d);
}

/* ---- setup ---- */

static int reg_w(struct soak_tenant *t, unsigned off, uint64_t v, size_t size)
{
	return uiommu_pwrite(t->dfd, &v, size, (int64_t)(BAR0_OFF + off)) == (ssize_t)size ?
		       0 : -EIO;
}

static uint64_t reg_r(struct soak_tenant *t, unsigned off)
{
	uint64_t v = 0;
	if (uiommu_pread(t->dfd, &v, 8, (int64_t)(BAR0_OFF + off)) != 8)
		return ~0ull;
	return v;
}

static int dsa_cmd(struct soak_tenant *t, unsigned cmd, uint32_t operand)
{
	if (reg_w(t, DSA_REG_CMD, DSA_CMD(cmd, operand), 4))
		return -EIO;
	return DSA_CMDSTS_ERR((uint32_t)reg_r(t, DSA_REG_CMDSTS)) ? -EIO : 0;
}

/* The device this tenant gets: a dmatest function, or a new mdev. */
static int tenant_device(struct soak *s, struct soak_tenant *t, unsigned nth)
{
	char name[32];
	switch (t->kind) {
	case SOAK_PDEV:
		snprintf(name, sizeof(name), "dmatest%u", nth);
		t->dev = uiommu_device_find(s->h, name);
		return t->dev ? 0 : -ENODEV;
	case SOAK_ADI:
	case SOAK_SWMDEV:
		snprintf(t->uuid, sizeof(t->uuid), "50a50000-0000-4000-8000-%012x", t->idx + 1);
		return uiommu_mdev_create(s->h, t->kind == SOAK_ADI ? "dsa0:dsa-1dwq-v1" :
								    "swmdev0:swcopy-v1",
					  t->uuid, &t->dev);
	}
	return -EINVAL;
}

static int tenant_open(struct soak *s, struct soak_tenant *t)
{
	char node[16], path[48];
	int rc = vfio_device_cdev_name(s->h, t->dev, node, sizeof(node));
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", node);
	t->dfd = uiommu_open(s->h, path, O_RDWR);
	if (t->dfd < 0)
		return t->dfd;
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = t->ifd };
	if ((rc = ioc(t->dfd, VFIO_DEVICE_BIND_IOMMUFD, &b)))
		return rc;
	t->devid = b.out_devid;
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	if ((rc = ioc(t->ifd, IOMMU_IOAS_ALLOC, &a)))
		return rc;
	t->ioas = a.out_ioas_id;
	return 0;
}

int soak_tenant_setup(struct soak *s, struct soak_tenant *t, char *err, size_t errlen)
{
	static const char *const what[] = { "pdev", "idxd mdev", "software mdev" };
	unsigned nth = t->nth;
	t->dfd = -1;
	t->mem = mmap(NULL, (SOAK_SLOTS + 1) * SOAK_PG, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->mem == MAP_FAILED) {
		t->mem = NULL;
		snprintf(err, errlen, "tenant %u: no memory", t->idx);
		return -ENOMEM;
	}
	int rc = tenant_device(s, t, nth);
	rc = rc ? rc : tenant_open(s, t);
	for (unsigned i = 0; !rc && i <= SOAK_SLOTS; i++) {
		rc = soak_ioas_map(t, SOAK_IOVA + i * SOAK_PG, t->mem + i * SOAK_PG);
		if (i < SOAK_SLOTS) {
			t->mapped[i] = !rc;
			soak_state_set(&t->slot[i], SOAK_ON);
		}
	}
	t->pt = t->ioas;
	rc = rc ? rc : soak_attach(t, &t->pt);
	t->attached = !rc;
	soak_state_set(&t->attach, SOAK_ON);
	uint16_t cmd = 0x6; /* memory space, bus master */
	if (!rc && uiommu_pwrite(t->dfd, &cmd, 2, (int64_t)CFG_OFF + 4) != 2)
		rc = -EIO;
	if (!rc && t->kind == SOAK_ADI)
		rc = dsa_cmd(t, DSA_CMD_ENABLE_DEVICE, 0) ?: dsa_cmd(t, DSA_CMD_ENABLE_WQ, 0);
	/* A HWPT of its own beside the IOAS's: a place to be replaced to. */
	t->spare_ok = t->kind != SOAK_SWMDEV;
	if (rc)
		snprintf(err, errlen, "tenant %u (%s %u): setup failed: %s", t->idx,
			 what[t->kind], nth, strerror(-rc));
	return rc;
}

void soak_tenant_teardown(struct soak_tenant *t)
{
	if (t->dfd >= 0)
		uiommu_close(t->dfd);
	if (t->uuid[0])
		uiommu_mdev_remove(t->s->h, t->uuid);
	if (t->mem)
		munmap(t->mem, (SOAK_SLOTS + 1) * SOAK_PG);
}

/* ---- DMA ---- */

/* A copy through the dmatest registers (the pdev, and the software
 * mdev's engine): 1 landed, 0 faulted, -errno for anything else. */
static int dt_copy(struct soak_tenant *t, uint64_t src, uint64_t dst, uint32_t len)
{
	if (reg_w(t, DMATEST_REG_SRC, src, 8) || reg_w(t, DMATEST_REG_DST, dst, 8) ||
	    reg_w(t, DMATEST_REG_LEN, len, 4) || reg_w(t, DMATEST_REG_CTRL, DMATEST_CTRL_GO, 4))
		return -EIO;
	uint32_t st = (uint32_t)reg_r(t, DMATEST_REG_STATUS);
	if (st == DMATEST_STATUS_DONE)
		return 1;
	uint32_t e = (uint32_t)reg_r(t, DMATEST_REG_ERROR);
	if (st == DMATEST_STATUS_ERROR &&
	    (e == DMATEST_ERR_READ || e == DMATEST_ERR_WRITE || e == DMATEST_ERR_ABORT))
		return 0;
	return -EPROTO;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* A MEMMOVE through the idxd mdev's portal, its completion record in the
 * always-mapped page: 1 landed, 0 faulted, -errno for anything else. */
static int dsa_copy(struct soak_tenant *t, uint64_t src, uint64_t dst, uint32_t len)
{
	unsigned k = (unsigned)(t->seq % CR_SLOTS);
	struct dsa_completion_record *cr = (void *)(t->mem + SOAK_SLOTS * SOAK_PG + k * 32);
	memset(cr, 0, sizeof(*cr));
	struct dsa_hw_desc d = {
		.flags_opcode = DSA_DESC_MAKE_OP(DSA_OPCODE_MEMMOVE, DSA_FLAG_CRAV | DSA_FLAG_RCR),
		.completion_addr = SOAK_CR_IOVA + k * 32,
		.src_addr = src,
		.dst_addr = dst,
		.xfer_size = len,
	};
	if (uiommu_pwrite(t->dfd, &d, sizeof(d), (int64_t)BAR2_OFF) != sizeof(d))
		return -EIO;
	int64_t t0 = now_ns();
	uint8_t st;
	while (!(st = __atomic_load_n(&cr->status, __ATOMIC_ACQUIRE))) {
		if (now_ns() - t0 > CR_WAIT_NS)
			return -ETIMEDOUT;
		sched_yield();
	}
	switch (DSA_COMP_STATUS(st)) {
	case DSA_COMP_SUCCESS:
		return 1;
	case DSA_COMP_PAGE_FAULT_NOBOF:
	case DSA_COMP_PAGE_FAULT_IR:
		return 0;
	default:
		return -EPROTO;
	}
}

static const char *state_name(const uint64_t w[2])
{
	static const char *const n[] = { "off", "on", "changing", "?" };
	return w[0] == w[1] ? n[soak_st(w[0])] : "changed";
}

static void report(struct soak_tenant *t, const struct soak_sample *sm, unsigned src,
		   unsigned dst, uint64_t idst, uint32_t len, int landed, const char *why)
{
	static const char *const kind[] = { "pdev", "idxd mdev", "software mdev" };
	__atomic_fetch_add(&t->violations, 1, __ATOMIC_RELAXED);
	soak_violation(t->s, "tenant %u (%s) DMA #%llu slot %u -> %s%u (IOVA 0x%llx, %u bytes): "
			     "%s (result %d; attach %s, src %s, dst %s)",
		       t->idx, kind[t->kind], (unsigned long long)t->seq, src,
		       sm->stray ? "stray page, not slot " : "slot ", dst,
		       (unsigned long long)idst, len, why, landed, state_name(sm->attach),
		       state_name(sm->src), state_name(sm->dst));
}

/* What the destination holds before a copy: never the byte copied. */
static inline uint8_t poison(uint8_t b)
{
	return (uint8_t)(b + 0x80);
}

/* One copy from slot src to slot dst (or to the victim page), judged. */
static void one_dma(struct soak_tenant *t, unsigned src, unsigned dst, bool stray)
{
	uint32_t len = 8 + (uint32_t)(soak_rand(&t->rng) % 504);
	uint32_t off = (uint32_t)(soak_rand(&t->rng) % (SOAK_PG - len));
	uint8_t *hs = t->mem + src * SOAK_PG + off, *hd = t->mem + dst * SOAK_PG + off;
	uint8_t b = (uint8_t)(t->seq * 31 + t->idx);
	for (uint32_t i = 0; i < len; i++) {
		hs[i] = (uint8_t)(b + i * 13);
		hd[i] = poison(hs[i]);
	}
	uint64_t isrc = SOAK_IOVA + src * SOAK_PG + off;
	/* A stray DMA aims at the victim page by its host address: a
	 * pass-through or a wrong table would find memory there. */
	uint64_t idst = stray ? (uint64_t)(uintptr_t)t->s->victim + off :
				SOAK_IOVA + dst * SOAK_PG + off;
	struct soak_sample sm = { .stray = stray };
	sm.attach[0] = soak_state_read(&t->attach);
	sm.src[0] = soak_state_read(&t->slot[src]);
	sm.dst[0] = soak_state_read(&t->slot[dst]);
	int landed = t->kind == SOAK_ADI ? dsa_copy(t, isrc, idst, len) :
					   dt_copy(t, isrc, idst, len);
	sm.attach[1] = soak_state_read(&t->attach);
	sm.src[1] = soak_state_read(&t->slot[src]);
	sm.dst[1] = soak_state_read(&t->slot[dst]);
	if (stray && t->s->o->inject == SOAK_INJECT_EXPECT_STRAY) {
		/* A broken oracle input: the stray page taken for a mapped one. */
		sm.stray = false;
		sm.dst[0] = sm.dst[1] = SOAK_ON;
	}
	struct soak_outcome o = { .landed = landed, .bytes_ok = true, .untouched = true,
				  .victim_untouched = true };
	for (uint32_t i = 0; i < len; i++) {
		if (stray) {
			o.victim_untouched &= t->s->victim[off + i] == 0x5a;
			continue;
		}
		o.bytes_ok &= hd[i] == hs[i];
		o.untouched &= hd[i] == poison(hs[i]);
	}
	bool dst_off;
	if (soak_expect_of(&sm, &dst_off) == SOAK_EITHER) {
		t->racing++;
		t->racing_landed += landed > 0;
	}
	__atomic_fetch_add(&t->dmas, 1, __ATOMIC_RELAXED); /* read by the progress line */
	t->landed += landed > 0;
	t->faulted += landed == 0;
	t->stray += stray;
	const char *why = soak_judge(&sm, &o);
	if (why)
		report(t, &sm, src, dst, idst, len, landed, why);
}

void *soak_tenant_run(void *arg)
{
	struct soak_tenant *t = arg;
	while (!atomic_load_explicit(&t->s->stop, memory_order_relaxed)) {
		t->seq++;
		unsigned src = (unsigned)(soak_rand(&t->rng) % SOAK_SLOTS);
		unsigned dst = (src + 1 + (unsigned)(soak_rand(&t->rng) % (SOAK_SLOTS - 1))) %
			       SOAK_SLOTS;
		one_dma(t, src, dst, soak_rand(&t->rng) % STRAY_ONE_IN == 0);
	}
	return NULL;
}
