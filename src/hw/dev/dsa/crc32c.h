/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CRC-32C (Castagnoli, polynomial 0x1EDC6F41, bit-reflected: 0x82F63B78),
 * the CRC of DSA's CRCGEN and COPY_CRC (HW.md 4.9). The x86 SSE4.2 crc32
 * instruction computes exactly this; a table serves other CPUs.
 */
#ifndef UIOMMU_HW_DEV_DSA_CRC32C_H
#define UIOMMU_HW_DEV_DSA_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct crc32c {
	bool hw;              /* SSE4.2 available */
	uint32_t table[256];
};

void crc32c_init(struct crc32c *c);

/* The raw register update: no inversion on either side. */
uint32_t crc32c_update(const struct crc32c *c, uint32_t crc, const void *buf, size_t len);

/* DSA's form: the seed and the result are inverted, so a seed of 0 gives
 * the standard CRC-32C ("123456789" -> 0xE3069283) and a result used as
 * the next seed continues the same CRC. */
static inline uint32_t crc32c_seeded(const struct crc32c *c, uint32_t seed, const void *buf,
				     size_t len)
{
	return ~crc32c_update(c, ~seed, buf, len);
}

#endif
