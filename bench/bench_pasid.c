/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PASID attachments at scale (issue #7): one second-stage domain attached
 * to 65,536 distinct PASIDs of one PCI function (PASID capable, no ATS),
 * through the IOMMU core and the VT-d driver.
 *  - iommu.pasid_attach_us: attach of every PASID, then detach of every
 *    one, mean per attach + detach pair; baseline: attach + detach of one
 *    PASID with nothing else attached, the same number of times (what the
 *    pair costs when the device's tables are empty).
 *  - pasid.bytes_per_pasid: memory the process holds per attached PASID
 *    with all 65,536 attached (malloc'd bytes, table pages included);
 *    baseline: the 64-byte VT-d PASID-table entry, the hardware's minimum.
 */
#include <malloc.h>
#include <stdlib.h>

#include <uiommu/host.h>
#include <uiommu/iommu.h>

#include "bench.h"

#define NPASID 65536

static const char topo[] =
	"{\"devices\":[{\"bdf\":\"00:01.0\",\"type\":\"rc_endpoint\",\"name\":\"x\","
	"\"pasid_bits\":20}]}";

static size_t heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

static void fail(const char *what)
{
	fprintf(stderr, "bench_pasid: %s\n", what);
	exit(1);
}

int main(void)
{
	struct uiommu_host *h;
	char err[256];
	struct uiommu_host_opts o = { .topology_json = topo, .no_drivers = true };
	if (uiommu_host_new(&o, &h, err, sizeof(err)))
		fail(err);
	struct device *x = uiommu_device_find(h, "x");
	struct iommu_domain *d = x ? iommu_paging_domain_alloc(x) : NULL;
	if (!d)
		fail("no domain");

	/* Memory: the first time every PASID is attached. */
	size_t before = heap_bytes();
	for (ioasid_t p = 1; p <= NPASID; p++)
		if (iommu_attach_device_pasid(d, x, p))
			fail("attach");
	double bytes = (double)(heap_bytes() - before) / NPASID;
	for (ioasid_t p = 1; p <= NPASID; p++)
		iommu_detach_device_pasid(d, x, p);

	double best = 1e30, best_one = 1e30;
	for (int k = 0; k < BEST_OF; k++) {
		double t0 = now_ns();
		for (ioasid_t p = 1; p <= NPASID; p++)
			if (iommu_attach_device_pasid(d, x, p))
				fail("attach");
		for (ioasid_t p = 1; p <= NPASID; p++)
			iommu_detach_device_pasid(d, x, p);
		double t1 = now_ns();
		for (int i = 0; i < NPASID; i++) {
			if (iommu_attach_device_pasid(d, x, 1))
				fail("attach one");
			iommu_detach_device_pasid(d, x, 1);
		}
		double t2 = now_ns();
		if ((t1 - t0) / NPASID < best)
			best = (t1 - t0) / NPASID;
		if ((t2 - t1) / NPASID < best_one)
			best_one = (t2 - t1) / NPASID;
	}
	emit("iommu.pasid_attach_us", best / 1e3, "us", "attach+detach of one PASID", best_one / 1e3,
	     "us", "<=2");
	emit("pasid.bytes_per_pasid", bytes, "B", "VT-d PASID entry", 64, "B", "<=96");
	iommu_domain_free(d);
	uiommu_host_free(h);
	return 0;
}
