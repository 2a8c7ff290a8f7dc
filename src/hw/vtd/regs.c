/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The register file (VT-d 10.4) and the side effects of writing it.
 *
 * Accesses are decomposed into naturally aligned dwords, which is how the
 * specification defines 64-bit registers: software may use two 32-bit
 * accesses or one 64-bit access. Side effects fire on the dword holding
 * the field (IQT, FRCD.F, GCMD, ...).
 */
#include <errno.h>

#include "vtd.h"
#include "../../util/compiler.h"

static uint64_t frcd_base(const struct vtd_unit *u)
{
	return VTD_CAP_FRO(u->cap);
}

static uint32_t fsts_value(const struct vtd_unit *u)
{
	uint32_t v = u->fsts & (VTD_FSTS_PFO | VTD_FSTS_IQE | VTD_FSTS_ICE | VTD_FSTS_ITE);
	/* PPF is the OR of all F bits; FRI names the first pending record. */
	for (unsigned i = 0; i < u->cfg.nfr; i++) {
		if (u->frcd[2 * i + 1] & VTD_FRCD_HI_F) {
			v |= VTD_FSTS_PPF;
			break;
		}
	}
	if (v & VTD_FSTS_PPF) {
		/* The oldest pending record: scan from the slot after the most
		 * recently written one, wrapping around. */
		for (unsigned i = 0; i < u->cfg.nfr; i++) {
			unsigned idx = (u->frcd_next + i) % u->cfg.nfr;
			if (u->frcd[2 * idx + 1] & VTD_FRCD_HI_F) {
				v |= idx << 8;
				break;
			}
		}
	}
	return v;
}

void vtd_raise_irq_locked(struct vtd_unit *u, enum vtd_irq irq)
{
	uint32_t *ctl = irq == VTD_IRQ_FAULT ? &u->fectl :
			irq == VTD_IRQ_INV_COMPLETE ? &u->iectl : &u->pectl;
	if (*ctl & VTD_XECTL_IM) {
		*ctl |= VTD_XECTL_IP; /* held until software unmasks */
		return;
	}
	*ctl &= ~VTD_XECTL_IP;
	u->pending_irqs |= 1u << irq;
}

/* Interrupt messages are sent after the register lock is dropped, so a
 * handler may read and write registers like a real ISR. */
static void deliver(struct vtd_unit *u, unsigned p)
{
	spin_lock(&u->reg_lock);
	vtd_irq_fn fn = u->irq_fn;
	void *opaque = u->irq_opaque;
	spin_unlock(&u->reg_lock);
	for (unsigned i = 0; i < VTD_IRQ_NR; i++)
		if ((p & (1u << i)) && fn)
			fn(u, (enum vtd_irq)i, opaque);
}

static void *irq_thread(void *arg)
{
	struct vtd_unit *u = arg;
	pthread_mutex_lock(&u->irqd.lock);
	for (;;) {
		while (!u->irqd.queued && !u->irqd.stop)
			pthread_cond_wait(&u->irqd.cond, &u->irqd.lock);
		if (!u->irqd.queued)
			break;
		unsigned p = u->irqd.queued;
		u->irqd.queued = 0;
		u->irqd.busy = true;
		pthread_mutex_unlock(&u->irqd.lock);
		deliver(u, p);
		pthread_mutex_lock(&u->irqd.lock);
		u->irqd.busy = false;
		pthread_cond_broadcast(&u->irqd.cond);
	}
	pthread_mutex_unlock(&u->irqd.lock);
	return NULL;
}

void vtd_irq_init(struct vtd_unit *u)
{
	pthread_mutex_init(&u->irqd.lock, NULL);
	pthread_cond_init(&u->irqd.cond, NULL);
}

void vtd_irq_fini(struct vtd_unit *u)
{
	pthread_mutex_lock(&u->irqd.lock);
	u->irqd.stop = true;
	pthread_cond_broadcast(&u->irqd.cond);
	bool started = u->irqd.started;
	pthread_mutex_unlock(&u->irqd.lock);
	if (started)
		pthread_join(u->irqd.thread, NULL);
	pthread_cond_destroy(&u->irqd.cond);
	pthread_mutex_destroy(&u->irqd.lock);
}

void vtd_defer_pending_irqs(struct vtd_unit *u)
{
	/* Raised under reg_lock and read here racily first: a miss is
	 * picked up by whoever raised it (vtd_send_pending_irqs). */
	if (!atomic_load_explicit(&u->pending_irqs, memory_order_relaxed))
		return;
	spin_lock(&u->reg_lock);
	unsigned p = u->pending_irqs;
	u->pending_irqs = 0;
	spin_unlock(&u->reg_lock);
	if (!p)
		return;
	pthread_mutex_lock(&u->irqd.lock);
	/* Started on first use: most units never raise one from a write. */
	if (!u->irqd.started && !u->irqd.stop &&
	    pthread_create(&u->irqd.thread, NULL, irq_thread, u) == 0)
		u->irqd.started = true;
	bool inline_delivery = !u->irqd.started;
	if (!inline_delivery) {
		u->irqd.queued |= p;
		pthread_cond_signal(&u->irqd.cond);
	}
	pthread_mutex_unlock(&u->irqd.lock);
	if (inline_delivery)
		deliver(u, p); /* no thread to be had: better late than lost */
}

void vtd_irq_drain(struct vtd_unit *u)
{
	pthread_mutex_lock(&u->irqd.lock);
	while ((u->irqd.queued || u->irqd.busy) && u->irqd.started &&
	       !pthread_equal(pthread_self(), u->irqd.thread))
		pthread_cond_wait(&u->irqd.cond, &u->irqd.lock);
	pthread_mutex_unlock(&u->irqd.lock);
}

void vtd_send_pending_irqs(struct vtd_unit *u)
{
	for (;;) {
		spin_lock(&u->reg_lock);
		unsigned p = u->pending_irqs;
		u->pending_irqs = 0;
		vtd_irq_fn fn = u->irq_fn;
		void *opaque = u->irq_opaque;
		spin_unlock(&u->reg_lock);
		if (!p)
			return;
		for (unsigned i = 0; i < VTD_IRQ_NR; i++)
			if ((p & (1u << i)) && fn)
				fn(u, (enum vtd_irq)i, opaque);
	}
}

static void unmask(struct vtd_unit *u, uint32_t *ctl, uint32_t val, enum vtd_irq irq)
{
	bool was_masked = *ctl & VTD_XECTL_IM;
	*ctl = (*ctl & VTD_XECTL_IP) | (val & VTD_XECTL_IM);
	if (was_masked && !(val & VTD_XECTL_IM) && (*ctl & VTD_XECTL_IP)) {
		*ctl &= ~VTD_XECTL_IP;
		u->pending_irqs |= 1u << irq;
	}
}

static uint32_t read32(struct vtd_unit *u, unsigned off)
{
	uint64_t fro = frcd_base(u);
	if (off >= fro && off < fro + 16 * u->cfg.nfr) {
		unsigned rec = (unsigned)(off - fro) / 16, dw = (unsigned)(off - fro) % 16 / 4;
		uint64_t q = u->frcd[2 * rec + dw / 2];
		return (uint32_t)(dw & 1 ? q >> 32 : q);
	}

	switch (off) {
	case VTD_REG_VER: return 0x30; /* architecture 3.0: scalable mode */
	case VTD_REG_CAP: return (uint32_t)u->cap;
	case VTD_REG_CAP + 4: return (uint32_t)(u->cap >> 32);
	case VTD_REG_ECAP: return (uint32_t)u->ecap;
	case VTD_REG_ECAP + 4: return (uint32_t)(u->ecap >> 32);
	case VTD_REG_GCMD: return 0; /* write-only */
	case VTD_REG_GSTS: return u->gsts;
	case VTD_REG_RTADDR: return (uint32_t)u->rtaddr_reg;
	case VTD_REG_RTADDR + 4: return (uint32_t)(u->rtaddr_reg >> 32);
	case VTD_REG_FSTS: return fsts_value(u);
	case VTD_REG_FECTL: return u->fectl;
	case VTD_REG_FEDATA: return u->fedata;
	case VTD_REG_FEADDR: return u->feaddr;
	case VTD_REG_FEUADDR: return u->feuaddr;
	case VTD_REG_IQH: return (uint32_t)u->iqh;
	case VTD_REG_IQT: return (uint32_t)u->iqt;
	case VTD_REG_IQA: return (uint32_t)u->iqa;
	case VTD_REG_IQA + 4: return (uint32_t)(u->iqa >> 32);
	case VTD_REG_ICS: return u->ics;
	case VTD_REG_IECTL: return u->iectl;
	case VTD_REG_IEDATA: return u->iedata;
	case VTD_REG_IEADDR: return u->ieaddr;
	case VTD_REG_IEUADDR: return u->ieuaddr;
	case VTD_REG_IQER: return (uint32_t)u->iqer;
	case VTD_REG_IQER + 4: return (uint32_t)(u->iqer >> 32);
	case VTD_REG_PQH: return (uint32_t)u->pqh;
	case VTD_REG_PQT: return (uint32_t)u->pqt;
	case VTD_REG_PQA: return (uint32_t)u->pqa;
	case VTD_REG_PQA + 4: return (uint32_t)(u->pqa >> 32);
	case VTD_REG_PRS: return u->prs;
	case VTD_REG_PECTL: return u->pectl;
	case VTD_REG_PEDATA: return u->pedata;
	case VTD_REG_PEADDR: return u->peaddr;
	case VTD_REG_PEUADDR: return u->peuaddr;
	default: return 0; /* reserved, unimplemented (IR, CCMD, IOTLB regs) */
	}
}

static void gcmd_write(struct vtd_unit *u, uint32_t val)
{
	/* Persistent enables act on change; one-shot commands whenever set
	 * (10.4.4). Interrupt remapping and the write-buffer flush are not
	 * implemented (ECAP.IR = 0, CAP.RWBF = 0): those bits are ignored. */
	if ((val & VTD_GCMD_TE) && !(u->gsts & VTD_GSTS_TES)) {
		u->gsts |= VTD_GSTS_TES;
		atomic_store(&u->te, true);
		vtd_bump_gen(u);
	} else if (!(val & VTD_GCMD_TE) && (u->gsts & VTD_GSTS_TES)) {
		u->gsts &= ~VTD_GSTS_TES;
		atomic_store(&u->te, false);
		u->frcd_next = 0;
		vtd_bump_gen(u);
	}

	if (val & VTD_GCMD_SRTP) {
		atomic_store(&u->rtaddr, u->rtaddr_reg);
		u->gsts |= VTD_GSTS_RTPS;
		vtd_bump_gen(u);
	}

	if ((val & VTD_GCMD_QIE) && !(u->gsts & VTD_GSTS_QIES)) {
		u->iqh = 0;
		u->gsts |= VTD_GSTS_QIES;
		if (u->iqt != u->iqh)
			u->qi_kick = true;
	} else if (!(val & VTD_GCMD_QIE) && (u->gsts & VTD_GSTS_QIES)) {
		/* Disabling is honoured only with an empty queue (10.4.4). */
		if (u->iqh == u->iqt) {
			u->gsts &= ~VTD_GSTS_QIES;
			u->iqh = 0;
		}
	}
}

static void fsts_write(struct vtd_unit *u, uint32_t val)
{
	bool iqe_cleared = (val & VTD_FSTS_IQE) && (u->fsts & VTD_FSTS_IQE);
	u->fsts &= ~(val & (VTD_FSTS_PFO | VTD_FSTS_IQE | VTD_FSTS_ICE | VTD_FSTS_ITE));
	if (!(fsts_value(u) & (VTD_FSTS_PFO | VTD_FSTS_PPF | VTD_FSTS_IQE)))
		u->fectl &= ~VTD_XECTL_IP;
	/* Hardware resumes fetching once software has dealt with the bad
	 * descriptor and cleared IQE (6.5.2.10). */
	if (iqe_cleared && (u->gsts & VTD_GSTS_QIES))
		u->qi_kick = true;
}

static void write32(struct vtd_unit *u, unsigned off, uint32_t val)
{
	uint64_t fro = frcd_base(u);
	if (off >= fro && off < fro + 16 * u->cfg.nfr) {
		unsigned rec = (unsigned)(off - fro) / 16, dw = (unsigned)(off - fro) % 16 / 4;
		/* Only F (bit 127) is writable: write 1 to clear. */
		if (dw == 3 && (val & (1u << 31))) {
			u->frcd[2 * rec + 1] &= ~VTD_FRCD_HI_F;
			if (!(fsts_value(u) & (VTD_FSTS_PFO | VTD_FSTS_PPF | VTD_FSTS_IQE)))
				u->fectl &= ~VTD_XECTL_IP;
		}
		return;
	}

	switch (off) {
	case VTD_REG_GCMD:
		gcmd_write(u, val);
		break;
	case VTD_REG_RTADDR:
		u->rtaddr_reg = (u->rtaddr_reg & ~0xffffffffull) | (val & ~0x3ffu);
		break;
	case VTD_REG_RTADDR + 4:
		u->rtaddr_reg = (u->rtaddr_reg & 0xffffffffull) | ((uint64_t)val << 32);
		break;
	case VTD_REG_FSTS:
		fsts_write(u, val);
		break;
	case VTD_REG_FECTL:
		unmask(u, &u->fectl, val, VTD_IRQ_FAULT);
		break;
	case VTD_REG_FEDATA: u->fedata = val; break;
	case VTD_REG_FEADDR: u->feaddr = val & ~3u; break;
	case VTD_REG_FEUADDR: u->feuaddr = val; break;
	case VTD_REG_IQT:
		u->iqt = val & VTD_IQ_PTR_MASK;
		if (u->gsts & VTD_GSTS_QIES)
			u->qi_kick = true;
		break;
	case VTD_REG_IQA:
		u->iqa = (u->iqa & ~0xffffffffull) | (val & (0xfffff000u | VTD_IQA_DW | 7));
		break;
	case VTD_REG_IQA + 4:
		u->iqa = (u->iqa & 0xffffffffull) | ((uint64_t)val << 32);
		break;
	case VTD_REG_ICS:
		if (val & VTD_ICS_IWC) {
			u->ics &= ~VTD_ICS_IWC;
			u->iectl &= ~VTD_XECTL_IP;
		}
		break;
	case VTD_REG_IECTL:
		unmask(u, &u->iectl, val, VTD_IRQ_INV_COMPLETE);
		break;
	case VTD_REG_IEDATA: u->iedata = val; break;
	case VTD_REG_IEADDR: u->ieaddr = val & ~3u; break;
	case VTD_REG_IEUADDR: u->ieuaddr = val; break;
	case VTD_REG_PQH:
		u->pqh = val & VTD_PQ_PTR_MASK;
		break;
	case VTD_REG_PQA:
		u->pqa = (u->pqa & ~0xffffffffull) | (val & (0xfffff000u | 7));
		break;
	case VTD_REG_PQA + 4:
		u->pqa = (u->pqa & 0xffffffffull) | ((uint64_t)val << 32);
		break;
	case VTD_REG_PRS:
		u->prs &= ~(val & (VTD_PRS_PPR | VTD_PRS_PRO));
		if (!(u->prs & VTD_PRS_PPR))
			u->pectl &= ~VTD_XECTL_IP;
		break;
	case VTD_REG_PECTL:
		unmask(u, &u->pectl, val, VTD_IRQ_PAGE_REQUEST);
		break;
	case VTD_REG_PEDATA: u->pedata = val; break;
	case VTD_REG_PEADDR: u->peaddr = val & ~3u; break;
	case VTD_REG_PEUADDR: u->peuaddr = val; break;
	default:
		break; /* read-only or reserved: writes are ignored */
	}
}

int vtd_mmio_read(struct vtd_unit *u, unsigned off, unsigned size, uint64_t *val)
{
	if ((size != 4 && size != 8) || (off & (size - 1)) || off > VTD_MMIO_SIZE - size)
		return -EINVAL;
	spin_lock(&u->reg_lock);
	uint64_t v = read32(u, off);
	if (size == 8)
		v |= (uint64_t)read32(u, off + 4) << 32;
	spin_unlock(&u->reg_lock);
	*val = v;
	return 0;
}

int vtd_mmio_write(struct vtd_unit *u, unsigned off, unsigned size, uint64_t val)
{
	if ((size != 4 && size != 8) || (off & (size - 1)) || off > VTD_MMIO_SIZE - size)
		return -EINVAL;
	spin_lock(&u->reg_lock);
	if (size == 8 && off == VTD_REG_IQT) {
		/* The tail's only field lives in the low dword. */
		write32(u, off + 4, (uint32_t)(val >> 32));
		write32(u, off, (uint32_t)val);
	} else {
		write32(u, off, (uint32_t)val);
		if (size == 8)
			write32(u, off + 4, (uint32_t)(val >> 32));
	}
	bool irq = u->pending_irqs != 0;
	bool kick = u->qi_kick;
	u->qi_kick = false;
	spin_unlock(&u->reg_lock);
	/* The queue runs once the register write is done (qi.c). A write
	 * that ran it came from a driver submitting invalidations, which may
	 * hold locks its own interrupt handler needs: what is pending then
	 * goes to the interrupt thread. Other writes (unmasking, clearing
	 * status) deliver what they raised right away, as an interrupt that
	 * fires while the write retires. */
	if (kick) {
		vtd_qi_kick(u);
		vtd_defer_pending_irqs(u);
	} else if (irq) {
		vtd_send_pending_irqs(u);
	}
	return 0;
}
