/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The soak run: a host made for the tenants asked for, two VMs' /dev/iommu
 * contexts, the tenants and their DMA threads, the driver thread (this
 * one), and the tally. See soak.h and docs/soak.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <uiommu/files.h>
#include <uiommu/host.h>
#include <uiommu/hw/vtd.h>
#include <uiommu/iommufd.h>

#include "soak_int.h"

void soak_violation(struct soak *s, const char *fmt, ...)
{
	pthread_mutex_lock(&s->report_lock);
	if (!s->r->violations++) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(s->r->first_violation, sizeof(s->r->first_violation), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&s->report_lock);
}

/* The host: one unit over everything; a DSA behind an ACS root port with
 * a dedicated WQ per idxd tenant (and the shared one idxd keeps last);
 * a dmatest function per pdev tenant. */
static char *soak_topology(unsigned pdevs, unsigned adis)
{
	size_t cap = 1024 + 128 * (size_t)pdevs;
	char *j = malloc(cap);
	if (!j)
		return NULL;
	int n = snprintf(j, cap,
			 "{\"units\":[{\"name\":\"dmar0\",\"scope\":\"all\"}],\"devices\":["
			 "{\"bdf\":\"00:00.0\",\"type\":\"host_bridge\",\"name\":\"host\"},"
			 "{\"bdf\":\"00:01.0\",\"type\":\"root_port\",\"name\":\"rp1\","
			 "\"acs\":true,\"bus\":1,\"children\":[{\"bdf\":\"01:00.0\","
			 "\"type\":\"endpoint\",\"name\":\"dsa0\",\"model\":\"dsa\","
			 "\"pasid_bits\":20,\"pasid_priv\":true,\"ats\":true,\"pri\":true,"
			 "\"siov\":true,\"options\":{\"wqs\":%u,\"wq_total_size\":%u}}]}",
			 adis + 1, 16 * (adis + 1));
	for (unsigned i = 0; i < pdevs; i++)
		n += snprintf(j + n, cap - (size_t)n,
			      ",{\"bdf\":\"00:%02x.0\",\"type\":\"rc_endpoint\","
			      "\"name\":\"dmatest%u\",\"model\":\"dmatest\"}",
			      i + 2, i);
	snprintf(j + n, cap - (size_t)n, "]}");
	return j;
}

/* SPEC H-12: a DMA served by a translation the tables no longer justify.
 * Only an unmap, detach or replace in flight explains one. */
static void on_stale(struct vtd_unit *u, const struct vtd_stale_report *rep, void *opaque)
{
	(void)u;
	(void)rep;
	struct soak *s = opaque;
	atomic_fetch_add(&s->checker_stale, 1);
	if (!atomic_load(&s->unmaps_in_flight))
		atomic_fetch_add(&s->checker_unexplained, 1);
}

static int host_up(struct soak *s, struct soak_result *r, char *err, size_t errlen)
{
	char *topo = soak_topology(r->pdevs, r->adis);
	if (!topo)
		return -ENOMEM;
	struct uiommu_host_opts ho = { .topology_json = topo, .checker = s->o->checker };
	int rc = uiommu_host_new(&ho, &s->h, err, errlen);
	free(topo);
	if (rc)
		return rc;
	for (unsigned i = 0; s->o->checker && i < uiommu_host_nr_units(s->h); i++)
		vtd_set_checker(uiommu_host_unit(s->h, i), on_stale, s);
	for (int v = 0; v < 2; v++) {
		s->vm[v] = uiommu_open(s->h, "/dev/iommu", O_RDWR);
		if (s->vm[v] < 0) {
			snprintf(err, errlen, "/dev/iommu: %s", strerror(-s->vm[v]));
			return s->vm[v];
		}
	}
	return 0;
}

/* Tenant i's kind: the kinds asked for, in turn. */
static enum soak_kind soak_kind_of(const struct soak_opts *o, unsigned i)
{
	unsigned kinds = o->kinds ? o->kinds : 7, n = (unsigned)__builtin_popcount(kinds);
	unsigned want = i % n;
	for (unsigned k = 0; k < 3; k++)
		if ((kinds & (1u << k)) && !want--)
			return (enum soak_kind)k;
	return SOAK_PDEV;
}

/* How many tenants before i are of i's kind. */
static unsigned soak_kind_rank(const struct soak_opts *o, unsigned i)
{
	unsigned n = 0;
	for (unsigned j = 0; j < i; j++)
		n += soak_kind_of(o, j) == soak_kind_of(o, i);
	return n;
}

static int tenants_up(struct soak *s, unsigned *up, char *err, size_t errlen)
{
	for (unsigned i = 0; i < s->n; i++) {
		struct soak_tenant *t = &s->t[i];
		uint64_t rng = (s->o->seed ^ 0x9e3779b97f4a7c15ull * (i + 1)) | 1;
		enum soak_kind kind = soak_kind_of(s->o, i);
		*t = (struct soak_tenant){ .s = s, .idx = i, .kind = kind,
					   .nth = soak_kind_rank(s->o, i), .ifd = s->vm[i % 2],
					   .dfd = -1, .rng = rng };
		++*up; /* torn down even if its setup fails half-way */
		int rc = soak_tenant_setup(s, t, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

static void tally(struct soak *s, struct soak_result *r)
{
	for (unsigned i = 0; i < s->n; i++) {
		struct soak_tenant *t = &s->t[i];
		r->dmas += t->dmas;
		r->landed += t->landed;
		r->kind_dmas[t->kind] += t->dmas;
		r->kind_landed[t->kind] += t->landed;
		r->faulted += t->faulted;
		r->stray += t->stray;
		r->racing += t->racing;
		r->racing_landed += t->racing_landed;
	}
	r->checker_stale = atomic_load(&s->checker_stale);
	uint64_t unexplained = atomic_load(&s->checker_unexplained);
	if (unexplained)
		soak_violation(s, "checker: %llu stale hits with no unmap, detach or replace in "
				  "flight", (unsigned long long)unexplained);
	for (unsigned i = 0; i < SOAK_PG; i++)
		if (s->victim[i] != 0x5a) {
			soak_violation(s, "the page no tenant maps changed at offset %u", i);
			break;
		}
}

static void run(struct soak *s, struct soak_result *r)
{
	unsigned started = 0;
	for (; started < s->n; started++)
		if (pthread_create(&s->t[started].thread, NULL, soak_tenant_run, &s->t[started]))
			break;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (started == s->n)
		soak_driver_run(s, s->o->seconds);
	else
		soak_violation(s, "could not start tenant %u's thread", started);
	atomic_store(&s->stop, true);
	for (unsigned i = 0; i < started; i++)
		pthread_join(s->t[i].thread, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	tally(s, r);
}

int soak_run(const struct soak_opts *o, struct soak_result *r, char *err, size_t errlen)
{
	if (!o->tenants || o->tenants > SOAK_MAX_TENANTS || !(o->seconds >= 0) || o->kinds > 7) {
		snprintf(err, errlen, "tenants must be 1 to %u, seconds at least 0",
			 SOAK_MAX_TENANTS);
		return -EINVAL;
	}
	memset(r, 0, sizeof(*r));
	r->seed = o->seed;
	r->tenants = o->tenants;
	for (unsigned i = 0; i < o->tenants; i++) {
		enum soak_kind k = soak_kind_of(o, i);
		r->pdevs += k == SOAK_PDEV;
		r->adis += k == SOAK_ADI;
		r->swmdevs += k == SOAK_SWMDEV;
	}
	r->op_hash = 0xcbf29ce484222325ull;
	struct soak *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->o = o;
	s->r = r;
	s->n = o->tenants;
	s->vm[0] = s->vm[1] = -1;
	s->rng = o->seed ? o->seed : 0x5eed;
	pthread_mutex_init(&s->report_lock, NULL);
	s->victim = mmap(NULL, SOAK_PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int rc = s->victim == MAP_FAILED ? -ENOMEM : 0;
	if (!rc)
		memset(s->victim, 0x5a, SOAK_PG);
	unsigned up = 0;
	rc = rc ? rc : host_up(s, r, err, errlen);
	rc = rc ? rc : tenants_up(s, &up, err, errlen);
	if (!rc)
		run(s, r);
	for (unsigned i = 0; i < up; i++)
		soak_tenant_teardown(&s->t[i]);
	for (int v = 0; v < 2; v++)
		if (s->vm[v] >= 0)
			uiommu_close(s->vm[v]);
	uiommu_host_free(s->h);
	/* Every pin the tenants' mappings took is given back. */
	if (!rc && uiommu_pinned_pages())
		soak_violation(s, "%llu pages still pinned after every file was closed",
			       (unsigned long long)uiommu_pinned_pages());
	if (s->victim != MAP_FAILED)
		munmap(s->victim, SOAK_PG);
	pthread_mutex_destroy(&s->report_lock);
	free(s);
	return rc;
}
