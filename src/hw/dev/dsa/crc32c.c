/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "crc32c.h"

#define CRC32C_REFLECTED 0x82f63b78u

void crc32c_init(struct crc32c *c)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t r = i;
		for (int k = 0; k < 8; k++)
			r = (r >> 1) ^ ((r & 1) ? CRC32C_REFLECTED : 0);
		c->table[i] = r;
	}
#if defined(__x86_64__)
	c->hw = __builtin_cpu_supports("sse4.2");
#else
	c->hw = false;
#endif
}

static uint32_t update_table(const struct crc32c *c, uint32_t crc, const uint8_t *p, size_t len)
{
	while (len--)
		crc = c->table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t update_hw(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t r = crc;
	/* Byte steps up to 8-byte alignment, then a quadword per crc32. */
	while (len && ((uintptr_t)p & 7)) {
		r = __builtin_ia32_crc32qi((uint32_t)r, *p++);
		len--;
	}
	while (len >= 8) {
		uint64_t q;
		memcpy(&q, p, 8);
		r = __builtin_ia32_crc32di(r, q);
		p += 8;
		len -= 8;
	}
	while (len--)
		r = __builtin_ia32_crc32qi((uint32_t)r, *p++);
	return (uint32_t)r;
}
#endif

uint32_t crc32c_update(const struct crc32c *c, uint32_t crc, const void *buf, size_t len)
{
#if defined(__x86_64__)
	if (c->hw)
		return update_hw(crc, buf, len);
#endif
	return update_table(c, crc, buf, len);
}
