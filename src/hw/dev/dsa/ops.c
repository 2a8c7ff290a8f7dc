/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Descriptor execution (SPEC D-3, D-4; HW.md 4.7 - 4.9).
 *
 * Every address a descriptor names (batch list, sources, destination,
 * completion record) is reached through pci_dma_map() with the request's
 * (RID, PASID, privilege), and the data is touched in place at the
 * translated host address: no bounce buffer. A translation obtained in a
 * DMA section is reused for later accesses of the same section (several
 * 64-byte descriptors share a page), and dies when the section ends.
 * Completion records of one fetch are written together at its end (their
 * lines were prefetched for ownership when fetched), always before the
 * section ends, the engine waits, an interrupt is raised or a drain may
 * pass them.
 *
 * Model decisions where the documents leave room:
 *  - Completion records: written when CRAV is set and either RCR is set or
 *    the descriptor did not succeed (SUCCESS and SUCCESS_PRED are
 *    success). Without CRAV a failure goes to SWERR instead. RCR without
 *    CRAV is INVALID_FLAGS, reported through SWERR. The status byte is
 *    stored last, with release ordering, after bytes 1..31.
 *  - Errors found before any memory access (opcode, flags, sizes,
 *    alignment, privilege) are reported the same way.
 *  - A completion-record address that is not 32-byte aligned: SWERR
 *    CRA_ALIGN and the descriptor does not run. One that does not
 *    translate: SWERR CRA_XLAT with the address; record faults never
 *    block on fault.
 *  - Block on fault needs the descriptor's BOF flag, WQCFG.bof (without
 *    wq_prs_disable), GENCAP.block_on_fault and PRI enabled on the
 *    function; otherwise the BOF flag is accepted and ignored. A page
 *    request that cannot be issued, is answered with anything but
 *    Success, or gets no answer within 5 s ends the descriptor with
 *    PAGE_FAULT_IR; so does a fifth request for the same page.
 *  - Allowed flags: FENCE, BOF, CRAV, RCR, RCI, and CR for COMPARE and
 *    COMPVAL; any other bit is INVALID_FLAGS (invalid_flags says which).
 *  - A privileged request (WQCFG.priv with pasid_en on a dedicated WQ,
 *    the descriptor's priv via ENQCMDS on a shared one) needs the PASID
 *    capability's privileged mode enabled, else PRIV_BAD; that record is
 *    written with user privilege. Without pasid_en requests carry no
 *    PASID and so no privilege.
 *  - Master aborts and bus mastering turned off: HW_ERR1; a request the
 *    function cannot issue at all (PASID disabled under it): 0x22.
 *  - A range that wraps the 64-bit address space: XFER_ERANGE.
 *  - MEMMOVE with overlapping buffers (GENCAP.overlap_copy is set) copies
 *    downwards when the destination is above the source; a fault then
 *    sets result = 1 (direction) and bytes_completed counts from the end.
 *    COPY_CRC never allows overlap.
 *  - COMPARE/COMPVAL: on a difference bytes_completed is the offset of the
 *    first differing byte; with CR, result != expected_res (low byte) gives
 *    SUCCESS_PRED.
 *  - CRCGEN/COPY_CRC: crc_val = ~crc32c(~seed, data); a fault leaves the
 *    CRC of the bytes done in crc_val, usable as the seed to continue.
 *  - BATCH: members run in order with the batch's PASID and privilege;
 *    a failed member does not stop the batch, but a member with FENCE
 *    after a failure ends it. bytes_completed = members processed; the
 *    batch succeeds only if every member did. BATCH and DRAIN are not
 *    allowed as members (BAD_OPCODE). A fault reading the list:
 *    BATCH_PAGE_FAULT with its address.
 */
#include <errno.h>
#include <string.h>

#include "dsa_int.h"
#include "../../machine.h"
#include "../../../util/compiler.h"
#include "../../../util/fixup_access.h"

#define ST_ABANDON 0xff          /* aborted: no record, no SWERR */
#define SECT_MAX_BYTES (256u << 10)
#define MAX_SAME_PAGE_PRS 4

enum { XM_OK = 0, XM_RETRY = 1, XM_FAULT = -1, XM_ABANDON = -2 };

struct exec {
	struct dsa_engine *e;
	struct dsa *x;
	struct dsa_wq *wq;
	uint64_t pos;
	struct pci_dma_attr attr;
	uint64_t xkey;            /* DSA_XKEY of attr, write clear */
	bool bof;                 /* flag, WQ and GENCAP agree; PRI checked at the fault */
	bool in_batch;
	unsigned batch_idx;
	uint8_t opcode;
	bool issue_err;           /* pci_dma_map refused to issue the request */
	bool refused;             /* the page request did not resolve the fault */
	uint64_t pr_page;
	unsigned pr_same;
	uint64_t sect_bytes;
	uint64_t bytes;           /* written to destinations, for the statistics */
	struct pci_dma_result res;
};

static bool ok_status(uint8_t st)
{
	st &= 0x7f;
	return st == DSA_COMP_SUCCESS || st == DSA_COMP_SUCCESS_PRED;
}

/*
 * Map `len` bytes at `addr` (at least the first one) for the request. On a
 * translation fault of a block-on-fault descriptor, leave the section, ask
 * for the page, come back: XM_RETRY tells the caller to map again, as
 * every pointer of the old section is gone.
 */
enum { XR_SRC, XR_DST, XR_REC, XR_LIST };

static int xmap(struct exec *t, unsigned role, uint64_t addr, uint64_t len, bool write,
		bool may_block, uint8_t **p, uint64_t *avail)
{
	struct dsa_engine *e = t->e;
	uint64_t key = t->xkey | ((uint64_t)write << 33);
	/* The entry of this role (source, destination, record, list) first:
	 * consecutive descriptors keep hitting the same pages. */
	struct dsa_xcache *c = &e->xc[role];
	if (likely(c->key == key && addr - c->start < c->end - c->start)) {
		*p = c->host + (addr - c->start);
		*avail = c->end - addr;
		return XM_OK;
	}
	for (unsigned i = 0; i < DSA_XCACHE_ENTRIES; i++) {
		c = &e->xc[i];
		if (c->key == key && addr - c->start < c->end - c->start) {
			*p = c->host + (addr - c->start);
			*avail = c->end - addr;
			return XM_OK;
		}
	}
	/* Translate from the page start and ask for as much as the
	 * translation covers (up to 2 MiB), so the entry serves the
	 * neighbours too: the next descriptors of a stream, the rest of a
	 * large page. Only the bytes asked for are touched. */
	uint64_t base = addr & ~0xfffull;
	uint64_t want = (addr - base) + len;
	if (want < (2u << 20))
		want = 2u << 20;
	void *h;
	size_t av;
	int rc = pci_dma_map(e->dma, t->x->d, &t->attr, base, (size_t)want, write, &h, &av, &t->res);
	if (likely(rc == 0)) {
		c = &e->xc[role];
		c->start = base;
		c->end = base + av;
		c->host = h;
		c->key = key;
		*p = (uint8_t *)h + (addr - base);
		*avail = av - (addr - base);
		return XM_OK;
	}
	t->res.fault_addr = addr;
	t->res.fault_write = write;
	if (rc == -EINVAL) {
		t->issue_err = true;
		return XM_FAULT;
	}
	bool xlate = t->res.status == PCI_DMA_FAULT || t->res.status == PCI_DMA_ATS_NOACCESS;
	if (!xlate)
		return XM_FAULT;
	dsa_count(&e->st[t->wq->idx].faults, 1);
	if (!may_block || !t->bof || !hw_pci_pri_enabled(t->x->d))
		return XM_FAULT;
	if (base == t->pr_page) {
		if (++t->pr_same >= MAX_SAME_PAGE_PRS) {
			t->refused = true;
			return XM_FAULT;
		}
	} else {
		t->pr_page = base;
		t->pr_same = 0;
	}
	dsa_sect_end(e);
	int r = dsa_page_request_wait(e, t->wq, t->pos, t->attr.pasid, t->attr.priv, addr, write);
	dsa_sect_begin(e);
	t->sect_bytes = 0;
	if (r == 0)
		return XM_RETRY;
	if (r == -2)
		return XM_ABANDON;
	t->refused = true;
	return XM_FAULT;
}

/* Bound the time one section stays open on big transfers. */
static void progress(struct exec *t, uint64_t n)
{
	t->sect_bytes += n;
	if (unlikely(t->sect_bytes > SECT_MAX_BYTES)) {
		dsa_sect_end(t->e);
		dsa_sect_begin(t->e);
		t->sect_bytes = 0;
	}
}

/* The status byte and record fields of a failed access. */
static uint8_t fault_status(struct exec *t, int xm, struct dsa_completion_record *cr, uint64_t done)
{
	if (xm == XM_ABANDON)
		return ST_ABANDON;
	uint8_t st;
	if (t->issue_err)
		st = DSA_COMP_TRANSLATION_FAIL;
	else if (t->res.status == PCI_DMA_FAULT || t->res.status == PCI_DMA_ATS_NOACCESS)
		st = t->refused ? DSA_COMP_PAGE_FAULT_IR : DSA_COMP_PAGE_FAULT_NOBOF;
	else
		st = DSA_COMP_HW_ERR1;
	if (t->res.fault_write && (st == DSA_COMP_PAGE_FAULT_IR || st == DSA_COMP_PAGE_FAULT_NOBOF))
		st |= DSA_COMP_STATUS_WRITE;
	cr->bytes_completed = (uint32_t)done;
	cr->fault_addr = t->res.fault_addr;
	return st;
}

/*
 * Memory the descriptor's addresses translated to is not there any more
 * (a client unmapped it while mapped for DMA): a master abort at `addr`,
 * which completes as HW_ERR1 after the bytes before it (HW.md 4.8) and
 * counts as a DMA error of the machine.
 */
static uint8_t abort_status(struct exec *t, struct dsa_completion_record *cr, uint64_t addr,
			    bool write, uint64_t done)
{
	t->res.status = PCI_DMA_ABORT;
	t->res.fault_addr = addr;
	t->res.fault_write = write;
	hw_dma_error(t->x->d->m);
	return fault_status(t, XM_FAULT, cr, done);
}

/* Which side of a failed move found no memory: the source, if it cannot
 * be read at the failing byte. */
static bool src_missing(const uint8_t *ps)
{
	uint64_t v;
	return !fixup_load64((const void *)((uintptr_t)ps & ~7ull), &v);
}

/* Read up to BOUNCE bytes of a source through the exception table, for
 * the operations that compute on data rather than move it. */
#define BOUNCE 256

static void exec_swerr(struct exec *t, const struct dsa_hw_desc *d, uint8_t error,
		       uint64_t fault_addr, bool fault_write, uint32_t invalid_flags)
{
	struct dsa_swerr_info i = {
		.error = error,
		.desc_valid = true,
		.wq_valid = true,
		.wq = t->wq->idx,
		.batch = t->in_batch,
		.batch_idx = t->batch_idx,
		.fault_write = fault_write,
		.priv = t->attr.priv,
		.opcode = (uint8_t)DSA_DESC_OPCODE(d),
		.pasid = t->attr.pasid == PCI_NO_PASID ? 0 : t->attr.pasid,
		.invalid_flags = invalid_flags,
		.fault_addr = fault_addr,
	};
	/* The interrupt handler may block: outside the section. */
	bool was = t->e->in_section;
	if (was)
		dsa_sect_end(t->e);
	dsa_swerr(t->x, &i);
	if (was)
		dsa_sect_begin(t->e);
}

/* ---- operations ---- */

static uint8_t op_memmove(struct exec *t, const struct dsa_hw_desc *d,
			  struct dsa_completion_record *cr, bool down)
{
	uint64_t src = d->src_addr, dst = d->dst_addr, len = d->xfer_size, done = 0;
	while (done < len) {
		uint8_t *ps, *pd;
		uint64_t as, ad, n, rem = len - done, s0, d0;
		int r;
		if (!down) {
			s0 = src + done;
			d0 = dst + done;
			r = xmap(t, XR_SRC, s0, rem, false, true, &ps, &as);
			if (r == XM_RETRY)
				continue;
			if (r)
				return fault_status(t, r, cr, done);
			r = xmap(t, XR_DST, d0, rem, true, true, &pd, &ad);
			if (r == XM_RETRY)
				continue;
			if (r)
				return fault_status(t, r, cr, done);
			n = MIN(rem, MIN(as, ad));
		} else {
			/* The top of what is left, within one page on each side. */
			uint64_t se = src + rem, de = dst + rem;
			uint64_t sl = MAX(src, (se - 1) & ~0xfffull), dl = MAX(dst, (de - 1) & ~0xfffull);
			n = MIN(se - sl, de - dl);
			s0 = se - n;
			d0 = de - n;
			r = xmap(t, XR_SRC, s0, n, false, true, &ps, &as);
			if (r == XM_RETRY)
				continue;
			if (!r)
				r = xmap(t, XR_DST, d0, n, true, true, &pd, &ad);
			if (r == XM_RETRY)
				continue;
			if (r) {
				cr->result = 1;
				return fault_status(t, r, cr, done);
			}
			/* Both stay inside one page, which a translation covers. */
			n = MIN(n, MIN(as, ad));
		}
		size_t left = fixup_move(pd, ps, n);
		if (unlikely(left)) {
			/* Forwards, the bytes before the fault moved; downwards,
			 * those above it. */
			uint64_t at = down ? left - 1 : n - left;
			bool src_gone = src_missing(ps + at);
			if (down)
				cr->result = 1;
			return abort_status(t, cr, (src_gone ? s0 : d0) + at, !src_gone,
					    done + (n - left));
		}
		done += n;
		t->bytes += n;
		progress(t, n);
	}
	return DSA_COMP_SUCCESS;
}

static uint64_t rotate_pattern(uint64_t pat, uint64_t off)
{
	unsigned k = (unsigned)(off & 7) * 8;
	return k ? (pat >> k) | (pat << (64 - k)) : pat;
}

/* Fill n bytes with the pattern, through the exception table: the bytes
 * not written (0: all). */
static size_t fill(uint8_t *p, uint64_t n, uint64_t pat)
{
	uint64_t buf[BOUNCE / 8];
	for (unsigned i = 0; i < BOUNCE / 8; i++)
		buf[i] = pat;
	for (uint64_t i = 0; i < n; i += BOUNCE) {
		size_t c = (size_t)MIN(n - i, BOUNCE);
		size_t left = fixup_copy(p + i, buf, c);
		if (left)
			return (size_t)(n - i) - (c - left);
	}
	return 0;
}

static uint8_t op_memfill(struct exec *t, const struct dsa_hw_desc *d,
			  struct dsa_completion_record *cr)
{
	uint64_t dst = d->dst_addr, len = d->xfer_size, done = 0;
	while (done < len) {
		uint8_t *p;
		uint64_t a;
		int r = xmap(t, XR_DST, dst + done, len - done, true, true, &p, &a);
		if (r == XM_RETRY)
			continue;
		if (r)
			return fault_status(t, r, cr, done);
		uint64_t n = MIN(len - done, a);
		size_t left = fill(p, n, rotate_pattern(d->pattern, done));
		if (unlikely(left))
			return abort_status(t, cr, dst + done + (n - left), true, done + (n - left));
		done += n;
		t->bytes += n;
		progress(t, n);
	}
	return DSA_COMP_SUCCESS;
}

static uint64_t first_diff(const uint8_t *a, const uint8_t *b, uint64_t n)
{
	uint64_t i = 0;
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

static uint8_t check_result(const struct dsa_hw_desc *d, const struct dsa_completion_record *cr)
{
	if ((DSA_DESC_FLAGS(d) & DSA_FLAG_CR) && cr->result != (uint8_t)d->expected_res)
		return DSA_COMP_SUCCESS_PRED;
	return DSA_COMP_SUCCESS;
}

static uint8_t op_compare(struct exec *t, const struct dsa_hw_desc *d,
			  struct dsa_completion_record *cr)
{
	uint64_t a = d->src_addr, b = d->src2_addr, len = d->xfer_size, done = 0;
	while (done < len) {
		uint8_t *pa, *pb;
		uint64_t na, nb;
		int r = xmap(t, XR_SRC, a + done, len - done, false, true, &pa, &na);
		if (r == XM_RETRY)
			continue;
		if (!r)
			r = xmap(t, XR_DST, b + done, len - done, false, true, &pb, &nb);
		if (r == XM_RETRY)
			continue;
		if (r)
			return fault_status(t, r, cr, done);
		/* Compared in bounce-buffer bites: each side read through the
		 * exception table. */
		uint64_t n = MIN(MIN(len - done, MIN(na, nb)), BOUNCE);
		uint8_t ba[BOUNCE], bb[BOUNCE];
		size_t la = fixup_copy(ba, pa, n), lb = la ? 0 : fixup_copy(bb, pb, n);
		if (unlikely(la || lb))
			return abort_status(t, cr, (la ? a : b) + done + (n - (la ? la : lb)), false,
					    done);
		if (memcmp(ba, bb, n)) {
			cr->result = 1;
			cr->bytes_completed = (uint32_t)(done + first_diff(ba, bb, n));
			return check_result(d, cr);
		}
		done += n;
		progress(t, n);
	}
	cr->result = 0;
	return check_result(d, cr);
}

static uint8_t op_compval(struct exec *t, const struct dsa_hw_desc *d,
			  struct dsa_completion_record *cr)
{
	uint64_t a = d->src_addr, len = d->xfer_size, done = 0;
	while (done < len) {
		uint8_t *p;
		uint64_t na;
		int r = xmap(t, XR_SRC, a + done, len - done, false, true, &p, &na);
		if (r == XM_RETRY)
			continue;
		if (r)
			return fault_status(t, r, cr, done);
		uint64_t n = MIN(MIN(len - done, na), BOUNCE);
		uint8_t b[BOUNCE];
		size_t left = fixup_copy(b, p, n);
		if (unlikely(left))
			return abort_status(t, cr, a + done + (n - left), false, done);
		uint64_t pat = rotate_pattern(d->comp_pattern, done);
		uint64_t i = 0;
		for (; i + 8 <= n; i += 8) {
			uint64_t v;
			memcpy(&v, b + i, 8);
			if (v != pat)
				break;
		}
		for (; i < n; i++)
			if (b[i] != (uint8_t)(pat >> (8 * (i & 7))))
				break;
		if (i < n) {
			cr->result = 1;
			cr->bytes_completed = (uint32_t)(done + i);
			return check_result(d, cr);
		}
		done += n;
		progress(t, n);
	}
	cr->result = 0;
	return check_result(d, cr);
}

static uint8_t op_crc(struct exec *t, const struct dsa_hw_desc *d, struct dsa_completion_record *cr,
		      bool copy)
{
	uint64_t src = d->src_addr, dst = d->dst_addr, len = d->xfer_size, done = 0;
	uint32_t crc = ~d->crc_seed;
	uint8_t st = DSA_COMP_SUCCESS;
	while (done < len) {
		uint8_t *ps, *pd = NULL;
		uint64_t as, ad = UINT64_MAX;
		int r = xmap(t, XR_SRC, src + done, len - done, false, true, &ps, &as);
		if (r == XM_RETRY)
			continue;
		if (!r && copy)
			r = xmap(t, XR_DST, dst + done, len - done, true, true, &pd, &ad);
		if (r == XM_RETRY)
			continue;
		if (r) {
			st = fault_status(t, r, cr, done);
			break;
		}
		uint64_t n = MIN(MIN(len - done, MIN(as, ad)), BOUNCE);
		uint8_t b[BOUNCE];
		size_t left = fixup_copy(b, ps, n);
		if (unlikely(left)) {
			st = abort_status(t, cr, src + done + (n - left), false, done);
			break;
		}
		crc = crc32c_update(&t->x->crc, crc, b, n);
		if (copy) {
			/* COPY_CRC never overlaps (validate()). */
			left = fixup_copy(pd, b, n);
			if (unlikely(left)) {
				st = abort_status(t, cr, dst + done + (n - left), true, done);
				break;
			}
			t->bytes += n;
		}
		done += n;
		progress(t, n);
	}
	cr->crc_val = ~crc;
	return st;
}

static uint8_t run_desc(struct exec *t, const struct dsa_hw_desc *d);

static uint8_t op_batch(struct exec *t, const struct dsa_hw_desc *d,
			struct dsa_completion_record *cr)
{
	uint32_t count = d->desc_count;
	uint64_t list = d->desc_list_addr;
	if (count < 2 || count > t->wq->run.max_batch)
		return DSA_COMP_DESC_CNT_ERANGE;
	if (list & 63)
		return DSA_COMP_DESCLIST_ALIGN;
	uint32_t processed = 0;
	bool failed = false;
	for (uint32_t i = 0; i < count; i++) {
		if (dsa_aborted(t->e, t->wq, t->pos, t->attr.pasid))
			return ST_ABANDON;
		struct dsa_hw_desc sub;
		for (;;) {
			uint8_t *p;
			uint64_t av;
			int r = xmap(t, XR_LIST, list + 64ull * i, 64, false, true, &p, &av);
			if (r == XM_OK && !fixup_copy(&sub, p, sizeof(sub)))
				break;
			if (r == XM_OK)
				return abort_status(t, cr, list + 64ull * i, false, processed);
			if (r == XM_RETRY)
				continue;
			if (r == XM_ABANDON)
				return ST_ABANDON;
			uint8_t st = fault_status(t, r, cr, processed) & 0x7f;
			if (st == DSA_COMP_PAGE_FAULT_NOBOF || st == DSA_COMP_PAGE_FAULT_IR)
				return DSA_COMP_BATCH_PAGE_FAULT;
			return st;
		}
		if ((DSA_DESC_FLAGS(&sub) & DSA_FLAG_FENCE) && failed)
			break;
		struct exec m = *t;
		m.in_batch = true;
		m.batch_idx = i;
		m.issue_err = m.refused = false;
		m.pr_page = UINT64_MAX;
		m.pr_same = 0;
		m.bytes = 0;
		uint8_t st = run_desc(&m, &sub);
		t->bytes += m.bytes;
		t->sect_bytes = m.sect_bytes;
		if (st == ST_ABANDON)
			return ST_ABANDON;
		if (!ok_status(st))
			failed = true;
		processed++;
	}
	cr->bytes_completed = processed;
	return failed ? DSA_COMP_BATCH_FAIL : DSA_COMP_SUCCESS;
}

/* ---- validation, completion ---- */

static bool wraps(uint64_t a, uint64_t len)
{
	return a + len < a;
}

static bool overlap(uint64_t a, uint64_t b, uint64_t len)
{
	return a < b + len && b < a + len;
}

/* 0 when the descriptor may run; a status otherwise. */
static uint8_t validate(struct exec *t, const struct dsa_hw_desc *d,
			struct dsa_completion_record *cr)
{
	uint32_t flags = DSA_DESC_FLAGS(d);
	uint8_t op = (uint8_t)DSA_DESC_OPCODE(d);
	uint32_t allowed = DSA_FLAG_FENCE | DSA_FLAG_BOF | DSA_FLAG_CRAV | DSA_FLAG_RCR | DSA_FLAG_RCI;
	bool xfer = true;
	switch (op) {
	case DSA_OPCODE_BATCH:
	case DSA_OPCODE_DRAIN:
		if (t->in_batch)
			return DSA_COMP_BAD_OPCODE;
		xfer = false;
		break;
	case DSA_OPCODE_NOOP:
		xfer = false;
		break;
	case DSA_OPCODE_COMPARE:
	case DSA_OPCODE_COMPVAL:
		allowed |= DSA_FLAG_CR;
		break;
	case DSA_OPCODE_MEMMOVE:
	case DSA_OPCODE_MEMFILL:
	case DSA_OPCODE_CRCGEN:
	case DSA_OPCODE_COPY_CRC:
		break;
	default:
		return DSA_COMP_BAD_OPCODE;
	}
	if (flags & ~allowed) {
		cr->invalid_flags = flags & ~allowed;
		return DSA_COMP_INVALID_FLAGS;
	}
	if (t->attr.priv && !hw_pci_pasid_priv_enabled(t->x->d)) {
		/* The record goes out as a user request. */
		t->attr.priv = false;
		t->xkey = DSA_XKEY(t->attr.pasid, false, false);
		return DSA_COMP_PRIV_BAD;
	}
	if (!xfer)
		return 0;
	uint64_t len = d->xfer_size;
	if (!len || len > t->wq->run.max_xfer)
		return DSA_COMP_XFER_ERANGE;
	/* MEMFILL's first operand is the pattern; the others read it. */
	bool reads_src = op != DSA_OPCODE_MEMFILL;
	bool second = op == DSA_OPCODE_MEMMOVE || op == DSA_OPCODE_COMPARE ||
		      op == DSA_OPCODE_COPY_CRC || op == DSA_OPCODE_MEMFILL;
	if ((reads_src && wraps(d->src_addr, len)) || (second && wraps(d->dst_addr, len)))
		return DSA_COMP_XFER_ERANGE;
	if (op == DSA_OPCODE_COPY_CRC && overlap(d->src_addr, d->dst_addr, len))
		return DSA_COMP_OVERLAP_BUFFERS;
	if (op == DSA_OPCODE_MEMMOVE && overlap(d->src_addr, d->dst_addr, len) &&
	    !(t->x->gencap & DSA_GENCAP_OVERLAP_COPY))
		return DSA_COMP_OVERLAP_BUFFERS;
	return 0;
}

static void write_record(struct exec *t, const struct dsa_hw_desc *d,
			 const struct dsa_completion_record *cr)
{
	uint8_t *p;
	uint64_t av;
	t->issue_err = false;
	if (xmap(t, XR_REC, d->completion_addr, sizeof(*cr), true, false, &p, &av)) {
		exec_swerr(t, d, DSA_COMP_CRA_XLAT, d->completion_addr, true, 0);
		return;
	}
	/*
	 * Queued, written at the end of the fetch: the line was prefetched
	 * for ownership when the descriptor was fetched, and the transfer
	 * from the submitter (who polled and cleared it) overlaps with the
	 * work in between instead of stalling the stores behind it. Built
	 * from the record's fields at their own widths (a wide load across
	 * the narrow stores that filled them in would wait for the store
	 * buffer). crc_val and invalid_flags share bytes 16-19; 20-31 are 0.
	 */
	struct dsa_engine *e = t->e;
	if (e->npend == DSA_PENDING_RECORDS)
		dsa_flush_records(e);
	struct dsa_pending_record *r = &e->pend[e->npend++];
	r->host = p;
	r->q[0] = cr->status | ((uint64_t)cr->result << 8) | ((uint64_t)cr->bytes_completed << 32);
	r->q[1] = cr->fault_addr;
	r->q[2] = cr->crc_val;
	r->q[3] = 0;
}

void dsa_flush_records(struct dsa_engine *e)
{
	for (unsigned i = 0; i < e->npend; i++) {
		const struct dsa_pending_record *r = &e->pend[i];
		/* Software polls the status byte: everything else first, and
		 * the status byte itself only by the last store (x86 stores
		 * are ordered). A record whose memory went away is lost, a
		 * DMA error. */
		bool ok = fixup_store64(r->host + 8, r->q[1]) &&
			  fixup_store64(r->host + 16, r->q[2]) &&
			  fixup_store64(r->host + 24, r->q[3]) &&
			  fixup_store64(r->host, r->q[0] & ~0xffull) &&
			  fixup_store8(r->host, (uint8_t)r->q[0]);
		if (unlikely(!ok))
			hw_dma_error(e->x->d->m);
	}
	e->npend = 0;
}

static uint8_t run_desc(struct exec *t, const struct dsa_hw_desc *d)
{
	uint32_t flags = DSA_DESC_FLAGS(d);
	uint8_t op = (uint8_t)DSA_DESC_OPCODE(d);
	struct dsa_counters *st_c = &t->e->st[t->wq->idx];
	t->opcode = op;

	if ((flags & DSA_FLAG_CRAV) && (d->completion_addr & 31)) {
		exec_swerr(t, d, DSA_COMP_CRA_ALIGN, d->completion_addr, false, 0);
		dsa_count(&st_c->descs, 1);
		return DSA_COMP_CRA_ALIGN;
	}
	if ((flags & DSA_FLAG_RCR) && !(flags & DSA_FLAG_CRAV)) {
		exec_swerr(t, d, DSA_COMP_INVALID_FLAGS, 0, false, DSA_FLAG_RCR);
		dsa_count(&st_c->descs, 1);
		return DSA_COMP_INVALID_FLAGS;
	}

	struct dsa_completion_record cr;
	memset(&cr, 0, sizeof(cr));
	t->bof = (flags & DSA_FLAG_BOF) && t->wq->run.bof && (t->x->gencap & DSA_GENCAP_BOF);
	uint8_t st = validate(t, d, &cr);
	if (!st) {
		switch (op) {
		case DSA_OPCODE_NOOP:
			st = DSA_COMP_SUCCESS;
			break;
		case DSA_OPCODE_DRAIN:
			dsa_drain_wait(t->e, t->wq, t->pos, t->attr.pasid);
			st = dsa_aborted(t->e, t->wq, t->pos, t->attr.pasid) ? ST_ABANDON :
									      DSA_COMP_SUCCESS;
			break;
		case DSA_OPCODE_MEMMOVE: {
			bool down = d->dst_addr > d->src_addr &&
				    overlap(d->src_addr, d->dst_addr, d->xfer_size);
			st = op_memmove(t, d, &cr, down);
			break;
		}
		case DSA_OPCODE_MEMFILL:
			st = op_memfill(t, d, &cr);
			break;
		case DSA_OPCODE_COMPARE:
			st = op_compare(t, d, &cr);
			break;
		case DSA_OPCODE_COMPVAL:
			st = op_compval(t, d, &cr);
			break;
		case DSA_OPCODE_CRCGEN:
			st = op_crc(t, d, &cr, false);
			break;
		case DSA_OPCODE_COPY_CRC:
			st = op_crc(t, d, &cr, true);
			break;
		case DSA_OPCODE_BATCH:
			st = op_batch(t, d, &cr);
			break;
		default:
			st = DSA_COMP_BAD_OPCODE;
			break;
		}
	}
	if (st == ST_ABANDON)
		return st;

	cr.status = st;
	bool ok = ok_status(st);
	if (flags & DSA_FLAG_CRAV) {
		if ((flags & DSA_FLAG_RCR) || !ok)
			write_record(t, d, &cr);
	} else if (!ok) {
		exec_swerr(t, d, st & 0x7f, cr.fault_addr, st & DSA_COMP_STATUS_WRITE,
			   cr.invalid_flags);
	}
	dsa_count(&st_c->descs, 1);
	if (flags & DSA_FLAG_RCI) {
		/* The record is out before the interrupt (sect_end flushes). */
		bool was = t->e->in_section;
		if (was)
			dsa_sect_end(t->e);
		dsa_raise(t->x, d->int_handle, 0);
		if (was)
			dsa_sect_begin(t->e);
	}
	return st;
}

/* The request attributes of a descriptor fetched from `wq`. */
static inline void desc_attr(const struct dsa_wq *wq, const struct dsa_hw_desc *desc,
			     struct pci_dma_attr *a)
{
	const struct dsa_wq_run *r = &wq->run;
	if (r->dedicated) {
		/* HW.md 4.6: a dedicated WQ's requests carry WQCFG's PASID and
		 * privilege; the descriptor's fields are ignored. */
		a->pasid = r->pasid_en ? r->pasid : PCI_NO_PASID;
		a->priv = r->pasid_en && r->priv;
	} else {
		a->pasid = DSA_DESC_PASID(desc);
		a->priv = DSA_DESC_PRIV(desc);
	}
}

void dsa_prefetch_record(struct dsa_engine *e, struct dsa_wq *wq, const struct dsa_hw_desc *desc)
{
	/* Ask for ownership of a record's line a little before writing it:
	 * the submitter holds it (it polled and cleared the status), and the
	 * stores would otherwise sit in the store buffer for the transfer. */
	if (!(DSA_DESC_FLAGS(desc) & DSA_FLAG_CRAV) || !e->x->prefetchw)
		return;
	struct pci_dma_attr a;
	desc_attr(wq, desc, &a);
	uint64_t key = DSA_XKEY(a.pasid, a.priv, true), addr = desc->completion_addr;
	const struct dsa_xcache *c = &e->xc[XR_REC];
	if (c->key == key && addr - c->start < c->end - c->start)
		dsa_prefetchw(c->host + (addr - c->start));
}

void dsa_exec(struct dsa_engine *e, struct dsa_wq *wq, uint64_t pos, struct dsa_hw_desc *desc)
{
	struct exec t;
	t.e = e;
	t.x = e->x;
	t.wq = wq;
	t.pos = pos;
	desc_attr(wq, desc, &t.attr);
	t.xkey = DSA_XKEY(t.attr.pasid, t.attr.priv, false);
	t.in_batch = false;
	t.batch_idx = 0;
	t.issue_err = t.refused = false;
	t.pr_page = UINT64_MAX;
	t.pr_same = 0;
	t.sect_bytes = 0;
	t.bytes = 0;
	if (likely(!dsa_aborted(e, wq, pos, t.attr.pasid)))
		run_desc(&t, desc);
	if (t.bytes)
		dsa_count(&e->st[wq->idx].bytes, t.bytes);
}
