/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The soak's oracle: from the states a tenant read before its DMA started
 * and after it ended, what the DMA was allowed to do; and the verdict on
 * what it did.
 *
 * The hardware's latitude is exactly the window of a change: VT-d keeps a
 * translation cached until software invalidates it (VT-d 6.5), and
 * iommufd's UNMAP returns only after the invalidation completed and DMA
 * in flight drained. So a DMA racing an UNMAP may still land; one that
 * started after UNMAP returned must fault, and must not touch the page.
 */
#include <stdbool.h>

#include "soak_int.h"

static bool steady(const uint64_t w[2], unsigned st)
{
	return w[0] == w[1] && soak_st(w[0]) == st;
}

enum soak_expect soak_expect_of(const struct soak_sample *s, bool *dst_off)
{
	*dst_off = s->stray || steady(s->attach, SOAK_OFF) || steady(s->dst, SOAK_OFF);
	if (*dst_off || steady(s->src, SOAK_OFF))
		return SOAK_MUST_FAULT;
	if (steady(s->attach, SOAK_ON) && steady(s->src, SOAK_ON) && steady(s->dst, SOAK_ON))
		return SOAK_MUST_LAND;
	return SOAK_EITHER;
}

const char *soak_judge(const struct soak_sample *s, const struct soak_outcome *o)
{
	bool dst_off;
	enum soak_expect e = soak_expect_of(s, &dst_off);
	if (!o->victim_untouched)
		return "a page no tenant maps changed";
	if (o->landed < 0)
		return e == SOAK_EITHER ? NULL : "the device gave no answer";
	if (o->landed && !o->bytes_ok)
		return "a DMA landed with the wrong bytes";
	if (e == SOAK_MUST_LAND && !o->landed)
		return "a DMA inside the tenant's mappings faulted";
	if (e == SOAK_MUST_FAULT && o->landed)
		return s->stray ? "a DMA to an address never mapped landed" :
				  "a DMA outside the tenant's mappings landed";
	if (dst_off && !o->untouched)
		return "a DMA changed memory the tenant had unmapped";
	return NULL;
}
