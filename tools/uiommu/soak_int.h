/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The soak's insides: the oracle's view of a tenant (what the driver
 * thread changes, stamped so a DMA can tell whether it raced a change),
 * the tenants and their DMA.
 */
#ifndef UIOMMU_TOOLS_SOAK_INT_H
#define UIOMMU_TOOLS_SOAK_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "soak.h"

#define SOAK_PG        4096u
#define SOAK_SLOTS     8u                /* pages a tenant may map, slot i at page i */
#define SOAK_IOVA      0x100000ull       /* slot i's IOVA: SOAK_IOVA + i pages */
#define SOAK_CR_IOVA   (SOAK_IOVA + SOAK_SLOTS * SOAK_PG) /* completion records, always mapped */

/*
 * A state the driver thread changes and DMA threads read: (generation << 2)
 * | state. The driver moves it to CHANGING before the ioctl and to the new
 * state after it returned, each a new generation, so a DMA that reads the
 * same word before it starts and after it ends ran while nothing changed.
 * Sequentially consistent atomics: the reads order against the DMA's own
 * register writes and completion, the writes against the ioctl.
 */
enum { SOAK_OFF = 0, SOAK_ON = 1, SOAK_CHANGING = 2 };

struct soak_state {
	_Atomic uint64_t w;
};

static inline uint64_t soak_state_read(struct soak_state *s)
{
	return atomic_load(&s->w);
}

static inline void soak_state_set(struct soak_state *s, unsigned st)
{
	atomic_store(&s->w, ((atomic_load(&s->w) >> 2) + 1) << 2 | st);
}

static inline unsigned soak_st(uint64_t w)
{
	return (unsigned)(w & 3);
}

/* What the oracle demands of one DMA, from the states it read. */
enum soak_expect { SOAK_MUST_LAND, SOAK_MUST_FAULT, SOAK_EITHER };

struct soak_sample {
	uint64_t attach[2], src[2], dst[2];   /* before, after */
	bool stray;                           /* aimed at an address never mapped */
};

enum soak_expect soak_expect_of(const struct soak_sample *s, bool *dst_off);

/* The outcome of one DMA as the tenant saw it. */
struct soak_outcome {
	int landed;             /* 1 landed, 0 faulted, -errno: the device did not answer */
	bool bytes_ok;          /* landed: the destination holds the source's bytes */
	bool untouched;         /* the destination's memory is as it was before */
	bool victim_untouched;  /* the page no tenant maps is as it was */
};

/* The verdict: NULL, or what was violated. */
const char *soak_judge(const struct soak_sample *s, const struct soak_outcome *o);

enum soak_kind { SOAK_PDEV, SOAK_ADI, SOAK_SWMDEV };

struct soak;

struct soak_tenant {
	struct soak *s;
	unsigned idx;
	enum soak_kind kind;
	struct device *dev;
	char uuid[40];
	int ifd;                        /* the VM's /dev/iommu */
	int dfd;                        /* /dev/vfio/devices/vfio<N> */
	uint32_t devid, ioas;
	uint8_t *mem;                   /* SOAK_SLOTS pages, then the completion page */
	struct soak_state slot[SOAK_SLOTS];
	struct soak_state attach;
	pthread_t thread;
	unsigned nth;                   /* among the tenants of its kind */
	uint64_t rng;
	/* counters of the tenant's own thread */
	uint64_t dmas, landed, faulted, stray, racing, racing_landed, violations, seq;
	/* the driver thread's own: what is really there */
	bool mapped[SOAK_SLOTS];
	bool attached;
	uint32_t pt;                    /* attached to: the IOAS (its auto HWPT) or spare */
	uint32_t spare;                 /* a HWPT the driver allocated from the IOAS, or 0 */
	bool spare_ok;                  /* the device can have one */
};

struct soak {
	const struct soak_opts *o;
	struct uiommu_host *h;
	int vm[2];                      /* two /dev/iommu contexts, tenants alternate */
	unsigned n;
	struct soak_tenant t[SOAK_MAX_TENANTS];
	uint8_t *victim;                /* a page no tenant ever maps */
	atomic_bool stop;
	atomic_uint_fast64_t unmaps_in_flight;
	atomic_uint_fast64_t checker_stale, checker_unexplained;
	pthread_mutex_t report_lock;    /* first_violation */
	struct soak_result *r;
	uint64_t rng;                   /* the driver thread's */
};

void soak_violation(struct soak *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* soak_tenant.c */
int soak_tenant_setup(struct soak *s, struct soak_tenant *t, char *err, size_t errlen);
void soak_tenant_teardown(struct soak_tenant *t);
void *soak_tenant_run(void *arg);
int soak_ioas_map(struct soak_tenant *t, uint64_t iova, void *va);
int soak_ioas_unmap(struct soak_tenant *t, uint64_t iova, uint64_t len);
int soak_attach(struct soak_tenant *t, uint32_t *pt);
int soak_detach(struct soak_tenant *t);
int soak_hwpt_alloc(struct soak_tenant *t, uint32_t *out);
int soak_destroy(int fd, uint32_t id);

/* soak_driver.c */
void soak_driver_run(struct soak *s, double seconds);

static inline uint64_t soak_rand(uint64_t *x)
{
	/* xorshift64*: the driver's sequence is a function of the seed. */
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dull;
}

#endif
