/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Queued invalidation, the driver side (6.5.2): descriptors go into the
 * ring, a wait descriptor with a status write follows every batch, and the
 * caller returns only once the status has landed - after which nothing
 * the batch removed can be in use (qi_submit_sync). The unit may process
 * the queue on its own thread: room is taken from IQH, never assumed.
 */

#define QI_SLOT_FREE   0
#define QI_SLOT_IN_USE 1
#define QI_IN_USE 1u
#define QI_DONE   2u
#define QI_TIMEOUT_NS (10ull * 1000000000ull)
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "intel.h"
#include "../../hw/iface/mem.h"
#include "../../util/compiler.h"

void qi_batch_add(struct qi_batch *b, uint64_t q0, uint64_t q1)
{
	if (b->n == INTEL_MAX_BATCH)
		return; /* callers size batches; see cache.c */
	b->desc[b->n][0] = q0;
	b->desc[b->n][1] = q1;
	b->desc[b->n][2] = 0;
	b->desc[b->n][3] = 0;
	b->n++;
}

void qi_add_cc_global(struct qi_batch *b)
{
	qi_batch_add(b, vtd_inv_qw0(VTD_INV_CC) | ((uint64_t)VTD_INV_CC_GLOBAL << 4), 0);
}

void qi_add_cc_device(struct qi_batch *b, uint16_t sid)
{
	/* In scalable mode the DID field is ignored (6.5.2.1). */
	qi_batch_add(b, vtd_inv_qw0(VTD_INV_CC) | ((uint64_t)VTD_INV_CC_DEVICE << 4) |
				((uint64_t)sid << 32),
		     0);
}

void qi_add_pc(struct qi_batch *b, unsigned g, uint16_t did, ioasid_t pasid)
{
	qi_batch_add(b, vtd_inv_qw0(VTD_INV_PC) | ((uint64_t)g << 4) | ((uint64_t)did << 16) |
				((uint64_t)(pasid & 0xfffff) << 32),
		     0);
}

void qi_add_iotlb(struct qi_batch *b, unsigned g, uint16_t did, uint64_t addr, unsigned am, bool ih)
{
	/* Drain reads and writes too, so nothing in flight uses what goes. */
	uint64_t q0 = vtd_inv_qw0(VTD_INV_IOTLB) | ((uint64_t)g << 4) | VTD_INV_IOTLB_DR |
		      VTD_INV_IOTLB_DW | ((uint64_t)did << 16);
	uint64_t q1 = g == VTD_INV_IOTLB_PSI ? (addr & VTD_PAGE_MASK) | am | (ih ? VTD_INV_ADDR_IH : 0) :
					       0;
	qi_batch_add(b, q0, q1);
}

void qi_add_piotlb(struct qi_batch *b, unsigned g, uint16_t did, ioasid_t pasid, uint64_t addr,
		   unsigned am, bool ih)
{
	uint64_t q0 = vtd_inv_qw0(VTD_INV_PIOTLB) | ((uint64_t)g << 4) | ((uint64_t)did << 16) |
		      ((uint64_t)(pasid & 0xfffff) << 32);
	uint64_t q1 = g == VTD_INV_PIOTLB_PSI ? (addr & VTD_PAGE_MASK) | am | (ih ? VTD_INV_ADDR_IH : 0) :
						0;
	qi_batch_add(b, q0, q1);
}

/* 6.5.2.4/6.5.2.6: the size is encoded in the address with the S bit. */
static uint64_t devtlb_addr(uint64_t addr, unsigned am, bool *s)
{
	if (am == 0) {
		*s = false;
		return addr & VTD_PAGE_MASK;
	}
	*s = true;
	if (am >= 52)
		return ~0ull >> 1 & VTD_PAGE_MASK; /* everything */
	uint64_t size = VTD_PAGE_SIZE << am;
	return (addr & ~(size - 1)) | ((size >> 1) - 1 - (VTD_PAGE_SIZE - 1));
}

void qi_add_devtlb(struct qi_batch *b, const struct device_domain_info *info, ioasid_t pasid,
		   uint64_t addr, unsigned am)
{
	bool s;
	uint64_t a = devtlb_addr(addr, am, &s);
	unsigned qdep = info->ats_qdep >= 32 ? 0 : info->ats_qdep;
	if (pasid == IOMMU_NO_PASID)
		qi_batch_add(b, vtd_inv_qw0(VTD_INV_DEVTLB) | ((uint64_t)qdep << 16) |
					((uint64_t)info->rid << 32),
			     a | (s ? VTD_INV_DEVTLB_S : 0));
	else
		qi_batch_add(b, vtd_inv_qw0(VTD_INV_PDEVTLB) | ((uint64_t)(qdep & 0x1f) << 4) |
					((uint64_t)info->rid << 16) |
					((uint64_t)(pasid & 0xfffff) << 32),
			     a | (s ? VTD_INV_PDEVTLB_S : 0));
}

void qi_add_pgrp_resp(struct qi_batch *b, uint16_t rid, bool pasid_valid, ioasid_t pasid,
		      unsigned prgi, unsigned code)
{
	uint64_t q0 = vtd_inv_qw0(VTD_INV_PGRP_RESP) | ((uint64_t)(code & 0xf) << 12) |
		      ((uint64_t)rid << 16);
	if (pasid_valid)
		q0 |= VTD_INV_PGRP_PP | ((uint64_t)(pasid & 0xfffff) << 32);
	qi_batch_add(b, q0, VTD_INV_PGRP_LPIG | ((uint64_t)(prgi & 0x1ff) << 3));
}

void qi_range(uint64_t start, uint64_t end, uint64_t *addr, unsigned *am)
{
	/* The smallest aligned block holding both ends is set by the highest
	 * bit in which they differ. */
	uint64_t diff = (start ^ end) >> VTD_PAGE_SHIFT;
	unsigned m = diff ? 64 - (unsigned)__builtin_clzll(diff) : 0;
	if (m > 52)
		m = 52;
	*am = m;
	*addr = m >= 52 ? 0 : (start & VTD_PAGE_MASK) & ~((VTD_PAGE_SIZE << m) - 1);
}

/*
 * Ring space, as Linux's qi_submit_sync keeps it: a slot is free again
 * once its submitter has seen its wait complete and given it back; the
 * oldest slots still held bound the tail. A unit working on its own
 * thread can never find its descriptors overwritten. qi.lock held.
 */
static void qi_reclaim(struct intel_iommu *iommu)
{
	while (iommu->qi.free_tail != iommu->qi.tail &&
	       iommu->qi.state[iommu->qi.free_tail] == QI_SLOT_FREE) {
		iommu->qi.free_tail = (iommu->qi.free_tail + 1) % INTEL_QI_DESCS;
		iommu->qi.free_cnt++;
	}
}

/*
 * An invalidation queue error (6.5.2.10): the unit stopped with IQH on
 * the offending descriptor. Mark its slot failed for the submitter that
 * owns it, put a wait descriptor without a status write in its place (a
 * no-op, as Linux does), and clear IQE so the unit goes on. qi.lock held.
 */
static bool qi_check_error(struct intel_iommu *iommu)
{
	if (!(dmar_readl(iommu, VTD_REG_FSTS) & VTD_FSTS_IQE))
		return false;
	unsigned head = (unsigned)(dmar_readq(iommu, VTD_REG_IQH) / 32) % INTEL_QI_DESCS;
	uint64_t *bad = iommu->qi.ring + 4 * head;
	iommu->qi.failed[head] = true;
	/* Its owner waits for this slot's status only if it was the wait. */
	if (VTD_INV_TYPE(bad[0]) == VTD_INV_WAIT)
		atomic_store_explicit(&iommu->qi.status[head], QI_DONE, memory_order_release);
	bad[0] = vtd_inv_qw0(VTD_INV_WAIT);
	bad[1] = bad[2] = bad[3] = 0;
	iommu->qi.errors++;
	dmar_writel(iommu, VTD_REG_FSTS, VTD_FSTS_IQE);
	return true;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Let the unit (or the submitter ahead of us) make progress: the lock is
 * dropped, never held across the wait. */
static void qi_relax(struct intel_iommu *iommu, unsigned *spins)
{
	mutex_unlock(&iommu->qi.lock);
	if (++*spins % 64 == 0)
		sched_yield();
	else
		cpu_relax();
	mutex_lock(&iommu->qi.lock);
}

/* Room for n slots plus the one that keeps a full ring from looking
 * empty, waiting for the submitters ahead of us to give theirs back. The
 * clock is read only once there is something to wait for. */
static int qi_wait_space(struct intel_iommu *iommu, unsigned n)
{
	unsigned spins = 0;
	uint64_t deadline = 0;
	while (iommu->qi.free_cnt < n + 1) {
		if (!deadline)
			deadline = now_ns() + QI_TIMEOUT_NS;
		if (!qi_check_error(iommu) && now_ns() > deadline)
			return -ETIMEDOUT;
		qi_relax(iommu, &spins);
	}
	return 0;
}

/*
 * Queue the descriptors and a wait descriptor whose status write is this
 * submission's own (one status word per ring slot), move the tail, and
 * wait for the status with the queue lock dropped, so other submitters
 * queue behind us meanwhile, as in Linux. Returns -EIO if the unit
 * stopped on one of our descriptors (it was skipped, see qi_check_error).
 */
int qi_submit_sync(struct intel_iommu *iommu, const uint64_t (*desc)[4], unsigned n)
{
	if (n + 1 >= INTEL_QI_DESCS)
		return -EINVAL;
	mutex_lock(&iommu->qi.lock);
	int rc = qi_wait_space(iommu, n + 1);
	if (rc) {
		mutex_unlock(&iommu->qi.lock);
		return rc;
	}
	unsigned start = iommu->qi.tail, wait = (start + n) % INTEL_QI_DESCS;
	unsigned long errors = iommu->qi.errors;
	for (unsigned i = 0; i <= n; i++) {
		unsigned slot = (start + i) % INTEL_QI_DESCS;
		uint64_t *d = iommu->qi.ring + 4 * slot;
		iommu->qi.failed[slot] = false;
		iommu->qi.state[slot] = QI_SLOT_IN_USE;
		if (i < n) {
			memcpy(d, desc[i], 32);
			continue;
		}
		atomic_store_explicit(&iommu->qi.status[slot], QI_IN_USE, memory_order_relaxed);
		d[0] = vtd_inv_qw0(VTD_INV_WAIT) | VTD_INV_WAIT_SW | ((uint64_t)QI_DONE << 32);
		d[1] = hw_pa((void *)&iommu->qi.status[slot]);
		d[2] = d[3] = 0;
	}
	iommu->qi.tail = (wait + 1) % INTEL_QI_DESCS;
	iommu->qi.free_cnt -= n + 1;
	atomic_thread_fence(memory_order_release);
	dmar_writeq(iommu, VTD_REG_IQT, (uint64_t)iommu->qi.tail * 32);

	unsigned spins = 0;
	uint64_t deadline = 0;
	while (atomic_load_explicit(&iommu->qi.status[wait], memory_order_acquire) != QI_DONE) {
		if (!deadline)
			deadline = now_ns() + QI_TIMEOUT_NS;
		if (!qi_check_error(iommu) && now_ns() > deadline) {
			rc = -ETIMEDOUT;
			break;
		}
		qi_relax(iommu, &spins);
	}
	bool look = iommu->qi.errors != errors; /* else none of ours failed */
	for (unsigned i = 0; i <= n; i++) {
		unsigned slot = (start + i) % INTEL_QI_DESCS;
		if (look && iommu->qi.failed[slot] && !rc)
			rc = -EIO;
		/* A timed-out submission keeps its slots: the unit may still
		 * read them. */
		if (rc != -ETIMEDOUT)
			iommu->qi.state[slot] = QI_SLOT_FREE;
	}
	qi_reclaim(iommu);
	iommu->qi.submits++;
	iommu->qi.descs += n;
	mutex_unlock(&iommu->qi.lock);
	return rc;
}

int qi_batch_flush(struct intel_iommu *iommu, struct qi_batch *b)
{
	int rc = qi_submit_sync(iommu, (const uint64_t(*)[4])b->desc, b->n);
	b->n = 0;
	return rc;
}
