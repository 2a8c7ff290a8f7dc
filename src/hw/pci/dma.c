/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DMA from device models: route each request to the unit covering the
 * function (or its device TLB when ATS is on), then to memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dma.h"
#include "ats.h"
#include "../machine.h"
#include "../../util/compiler.h"

int pci_dma_ctx_new(struct hw_machine *m, struct pci_dma_ctx **out)
{
	struct pci_dma_ctx *c = aligned_alloc(64, ALIGN_UP(sizeof(*c), 64));
	if (!c)
		return -ENOMEM;
	memset(c, 0, sizeof(*c));
	c->m = m;
	vtd_utlb_init(&c->utlb);
	dma_rcu_register_reader(&m->dma_rcu, &c->reader);
	pthread_mutex_lock(&m->ctx_lock);
	list_add_tail(&c->node, &m->dma_ctxs);
	pthread_mutex_unlock(&m->ctx_lock);
	*out = c;
	return 0;
}

void pci_dma_ctx_free(struct pci_dma_ctx *c)
{
	if (!c)
		return;
	struct hw_machine *m = c->m;
	dma_rcu_unregister_reader(&c->reader);
	pthread_mutex_lock(&m->ctx_lock);
	list_del(&c->node);
	vtd_utlb_retire(&c->utlb, m->units, m->nr_units);
	pthread_mutex_unlock(&m->ctx_lock);
	free(c);
}

void pci_dma_ctx_online(struct pci_dma_ctx *c)
{
	dma_rcu_thread_online(&c->reader);
}

void pci_dma_ctx_offline(struct pci_dma_ctx *c)
{
	dma_rcu_thread_offline(&c->reader);
}

void pci_dma_flush_pending(struct pci_dma_ctx *c)
{
	struct vtd_unit *u = c->pending_unit;
	c->pending_unit = NULL;
	vtd_record_fault(u, &c->pending);
}

/* ATS function: device TLB first, a translation request on a miss. */
static int xlate_ats(struct pci_dma_ctx *c, struct hw_pci_function *d, struct vtd_unit *u,
		     const struct vtd_req *req, struct vtd_xlate *x, struct vtd_fault *f)
{
	uint64_t key = vtd_utlb_key(req), vpn = req->addr >> 12;
	uint64_t gen = atomic_load_explicit(&u->inv_gen, memory_order_acquire);
	struct vtd_utlb_entry *e = vtd_utlb_slot(&c->utlb, vpn, key);
	struct pci_atc_hit h;

	if (e->vpn == vpn && e->key == key && e->unit == u && e->gen == gen &&
	    (e->perm & req->perm) == req->perm) {
		h.out_base = e->out_base;
		h.perm = e->perm;
		h.size_shift = e->size_shift;
		stat_inc(&c->utlb.utlb_hits[u->index]);
	} else if (!pci_atc_lookup(d->atc, req->pasid, req->priv, req->addr, &h) ||
		   (h.perm & req->perm) != req->perm) {
		struct vtd_xlate t;
		if (vtd_ats_translate(u, &c->utlb, req, key, &t, f))
			return -1;
		h.out_base = t.perm ? t.out - (req->addr & ((1ull << t.size_shift) - 1)) : 0;
		h.perm = t.perm;
		h.size_shift = t.size_shift;
		pci_atc_insert(d->atc, req->pasid, req->priv, req->addr, &h, &u->inv_gen, gen);
		if ((h.perm & req->perm) != req->perm)
			return -3; /* completion without the access: no fault logged */
	}
	e->gen = gen;
	e->unit = u;
	e->key = key;
	e->vpn = vpn;
	e->out_base = h.out_base;
	e->perm = h.perm;
	e->size_shift = h.size_shift;
	uint64_t off = req->addr & ((1ull << h.size_shift) - 1);
	if (__builtin_expect(u->checker, 0))
		vtd_check_hit(u, req, h.out_base + off, h.perm, "device TLB");
	x->out = h.out_base + off;
	x->avail = (1ull << h.size_shift) - off;
	x->perm = h.perm;
	x->size_shift = h.size_shift;
	return 0;
}

/* One translation inside a read-side critical section. On failure fills *res and, for a
 * fault the unit logs, leaves it pending on the context. */
static int xlate(struct pci_dma_ctx *c, struct hw_pci_function *d, const struct pci_dma_attr *a,
		 uint64_t addr, uint8_t perm, struct vtd_xlate *x, struct pci_dma_result *res)
{
	struct vtd_unit *u = d->unit;
	if (!u) {
		/* Not behind any remapping unit: addresses are physical. */
		x->out = addr;
		x->avail = VTD_PAGE_SIZE - (addr & (VTD_PAGE_SIZE - 1));
		x->perm = VTD_PERM_R | VTD_PERM_W | VTD_PERM_X;
		return 0;
	}
	struct vtd_req req = {
		.sid = d->dma_sid,
		.pasid = a->pasid,
		.priv = a->priv,
		.perm = perm,
		.addr = addr,
	};
	struct vtd_fault f;
	int rc = (d->atc && hw_pci_ats_enabled(d)) ? xlate_ats(c, d, u, &req, x, &f) :
						   vtd_translate(u, &c->utlb, &req, x, &f);
	if (likely(rc == 0))
		return 0;

	res->fault_addr = addr;
	res->fault_write = perm & VTD_PERM_W;
	res->reason = 0;
	if (rc == -2) {
		res->status = PCI_DMA_BLOCKED;
	} else if (rc == -3) {
		res->status = PCI_DMA_ATS_NOACCESS;
	} else {
		res->status = PCI_DMA_FAULT;
		res->reason = f.reason;
		c->pending_unit = u;
		c->pending = f;
	}
	return -1;
}

static int check_issue(struct hw_pci_function *d, const struct pci_dma_attr *a,
		       struct pci_dma_result *res)
{
	res->status = PCI_DMA_OK;
	res->done = 0;
	res->fault_addr = 0;
	res->fault_write = false;
	res->reason = 0;
	if (a->pasid != PCI_NO_PASID &&
	    (!hw_pci_pasid_enabled(d) || (a->priv && !hw_pci_pasid_priv_enabled(d)) ||
	     (a->pasid >> hw_pci_pasid_width(d))))
		return -EINVAL;
	if (a->pasid == PCI_NO_PASID && a->priv)
		return -EINVAL;
	if (!hw_pci_bus_master(d)) {
		res->status = PCI_DMA_BLOCKED;
		return -EIO;
	}
	return 0;
}

static int fail_errno(const struct pci_dma_result *res)
{
	return res->status == PCI_DMA_FAULT || res->status == PCI_DMA_ATS_NOACCESS ? -EFAULT : -EIO;
}

enum xfer_kind { XFER_READ, XFER_WRITE, XFER_COPY };

/* A move that hit memory that is not there after `moved` bytes: which
 * side it was is not known for a copy, so the source is named (a read
 * fails first). */
static void pci_dma_abort(struct hw_machine *m, struct pci_dma_result *res, uint64_t at,
			  enum xfer_kind k, size_t moved)
{
	res->status = PCI_DMA_ABORT;
	res->done += moved;
	res->fault_addr = at + moved;
	res->fault_write = k == XFER_WRITE;
	hw_dma_error(m);
}

static int xfer(struct pci_dma_ctx *c, struct hw_pci_function *d, const struct pci_dma_attr *a,
		enum xfer_kind k, uint64_t dst, uint64_t src, void *buf, size_t len,
		struct pci_dma_result *res)
{
	int rc = check_issue(d, a, res);
	if (rc)
		return rc;
	while (res->done < len) {
		struct vtd_xlate xs = { 0 }, xd = { 0 };
		size_t n = len - res->done;
		pci_dma_begin(c);
		if (k != XFER_WRITE) {
			if (xlate(c, d, a, src + res->done, VTD_PERM_R, &xs, res))
				goto fail;
			n = MIN(n, xs.avail);
		}
		if (k != XFER_READ) {
			if (xlate(c, d, a, dst + res->done, VTD_PERM_W, &xd, res))
				goto fail;
			n = MIN(n, xd.avail);
		}
		void *ps = k == XFER_WRITE ? (char *)buf + res->done : hw_mem_ptr(xs.out, n);
		void *pd = k == XFER_READ ? (char *)buf + res->done : hw_mem_ptr(xd.out, n);
		if (!ps || !pd) {
			res->status = PCI_DMA_ABORT;
			res->fault_addr = !ps ? src + res->done : dst + res->done;
			res->fault_write = ps != NULL;
			goto fail;
		}
		/* Translated addresses with nothing behind them (memory the
		 * client unmapped): a master abort at the first such byte. */
		size_t left = fixup_move(pd, ps, n);
		if (unlikely(left)) {
			pci_dma_abort(c->m, res, k == XFER_WRITE ? dst + res->done : src + res->done,
				      k, n - left);
			goto fail;
		}
		pci_dma_end(c);
		res->done += n;
	}
	return 0;
fail:
	pci_dma_end(c);
	return fail_errno(res);
}

static int with_ctx(struct pci_dma_ctx *c, struct hw_pci_function *d, const struct pci_dma_attr *a,
		    enum xfer_kind k, uint64_t dst, uint64_t src, void *buf, size_t len,
		    struct pci_dma_result *res)
{
	if (c)
		return xfer(c, d, a, k, dst, src, buf, len, res);
	struct hw_machine *m = d->m;
	pthread_mutex_lock(&m->default_ctx_lock);
	pci_dma_ctx_online(m->default_ctx);
	int rc = xfer(m->default_ctx, d, a, k, dst, src, buf, len, res);
	pci_dma_ctx_offline(m->default_ctx);
	pthread_mutex_unlock(&m->default_ctx_lock);
	return rc;
}

int pci_dma_read(struct pci_dma_ctx *c, struct hw_pci_function *d, const struct pci_dma_attr *a,
		 uint64_t addr, void *buf, size_t len, struct pci_dma_result *res)
{
	return with_ctx(c, d, a, XFER_READ, 0, addr, buf, len, res);
}

int pci_dma_write(struct pci_dma_ctx *c, struct hw_pci_function *d, const struct pci_dma_attr *a,
		  uint64_t addr, const void *buf, size_t len, struct pci_dma_result *res)
{
	return with_ctx(c, d, a, XFER_WRITE, addr, 0, (void *)buf, len, res);
}

int pci_dma_copy(struct pci_dma_ctx *c, struct hw_pci_function *d, const struct pci_dma_attr *a,
		 uint64_t dst, uint64_t src, size_t len, struct pci_dma_result *res)
{
	return with_ctx(c, d, a, XFER_COPY, dst, src, NULL, len, res);
}

int pci_dma_map(struct pci_dma_ctx *c, struct hw_pci_function *d, const struct pci_dma_attr *a,
		uint64_t addr, size_t len, bool write, void **host, size_t *avail,
		struct pci_dma_result *res)
{
	int rc = check_issue(d, a, res);
	if (rc)
		return rc;
	struct vtd_xlate x;
	if (xlate(c, d, a, addr, write ? VTD_PERM_W : VTD_PERM_R, &x, res))
		return fail_errno(res);
	size_t n = (size_t)MIN((uint64_t)len, x.avail);
	void *p = hw_mem_ptr(x.out, n);
	if (!p) {
		res->status = PCI_DMA_ABORT;
		res->fault_addr = addr;
		res->fault_write = write;
		return -EIO;
	}
	*host = p;
	*avail = n;
	return 0;
}
