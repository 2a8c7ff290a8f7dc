/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The /dev/iommu story (issue #10, the 2021 proposal; the SIOV demo tells
 * the 2018 one): a VM's devices opened as VFIO cdevs, bound to one
 * iommufd, attached to its address spaces - and VFIO routing each by its
 * type, which the user never sees.
 *
 *   1. bind (section 1.3): a pdev's group becomes the iommufd's, DMA
 *      blocked; an idxd ADI gets a default PASID on its parent's RID; a
 *      software mdev becomes an ACCESS;
 *   2. flow 4.1: one GPA IOAS for all three, each copies in guest memory;
 *   3. flow 4.2: the vIOMMU gives the pdev an IOVA space - detached,
 *      attached to a second IOAS the user shadows;
 *   4. flow 4.5: a vPASID beside the ADI's default space: the guest writes
 *      vPASID 5 into its WQ, the parent programs a pPASID of its own;
 *   5. section 1.4.2: a shared-WQ mdev (ENQCMD): its portal refused until
 *      the iommufd turns CPU PASID translation on, then vPASID 9 reaches
 *      the VM's pPASID; a second VM's vPASID 9 is another pPASID, and its
 *      descriptor aimed at the first VM's memory faults;
 *   6. the devices and their routing, and the DSA's PASID table.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <linux/vfio.h>

#include <uapi/linux/iommufd.h>
#include <uiommu/iommufd_ext.h>
#include <uapi/linux/vfio_cdev.h>
#include <uiommu/files.h>
#include <uiommu/hw/dmatest.h>
#include <uiommu/hw/dsa.h>
#include <uiommu/iommu.h>
#include <uiommu/mdev.h>
#include <uiommu/vfio.h>

#include "cli.h"
#include "demo.h"
#include "base/device.h"
#include "files/file.h"
#include "hw/pci/pci.h"
#include "iommu/intel/debugfs.h"
#include "vfio/vfio.h"

#define GPA       0x100000ull     /* guest memory: 1 MiB at this GPA */
#define GPA_SIZE  (1u << 20)
#define CR_OFF    0xf0000u        /* completion records, in guest memory */
#define CFG_OFF   UIOMMU_VFIO_REGION_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX)
#define BAR0_OFF  UIOMMU_VFIO_REGION_OFFSET(VFIO_PCI_BAR0_REGION_INDEX)
#define BAR2_OFF  UIOMMU_VFIO_REGION_OFFSET(VFIO_PCI_BAR2_REGION_INDEX)
#define NR_DEVS   4
#define SPACE     0x400000ull     /* where the other address spaces start */

struct vm {
	const char *name;
	int fd;                    /* /dev/iommu */
	uint32_t gpa_ioas;
	uint8_t *mem;              /* guest memory */
};

struct vdev {
	const char *label, *kind;
	struct vm *vm;
	struct device *dev;
	int fd;                    /* /dev/vfio/devices/vfio<N> */
	char node[16];
	uint32_t devid, pt;
	const char *route;
};

static long ioc(int fd, unsigned long cmd, void *arg)
{
	return uiommu_ioctl(fd, cmd, (unsigned long)(uintptr_t)arg);
}

static void *xmmap(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static int ioas_map(int fd, uint32_t ioas, void *va, uint64_t len, uint64_t iova)
{
	struct iommu_ioas_map m = { .size = sizeof(m), .ioas_id = ioas,
				    .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
					     IOMMU_IOAS_MAP_WRITEABLE,
				    .user_va = (uintptr_t)va, .length = len, .iova = iova };
	return (int)ioc(fd, IOMMU_IOAS_MAP, &m);
}

static uint32_t ioas_alloc(int fd)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	return ioc(fd, IOMMU_IOAS_ALLOC, &a) ? 0 : a.out_ioas_id;
}

static int attach(struct vdev *v, uint32_t pt, bool pasid, uint32_t vpasid, uint32_t *out)
{
	struct vfio_device_attach_iommufd_pt a = {
		.argsz = sizeof(a), .pt_id = pt, .pasid = vpasid,
		.flags = pasid ? VFIO_DEVICE_ATTACH_PASID : 0,
	};
	long rc = ioc(v->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);
	*out = a.pt_id;
	return (int)rc;
}

static uint64_t reg(struct vdev *v, unsigned off)
{
	uint64_t x = 0;
	uiommu_pread(v->fd, &x, 8, (int64_t)(BAR0_OFF + off));
	return x;
}

static void reg_w(struct vdev *v, unsigned off, uint64_t x, size_t size)
{
	uiommu_pwrite(v->fd, &x, size, (int64_t)(BAR0_OFF + off));
}

static void bus_master(struct vdev *v)
{
	uint16_t cmd = 0x6;
	uiommu_pwrite(v->fd, &cmd, 2, (int64_t)CFG_OFF + 4);
}

static unsigned dsa_cmd(struct vdev *v, unsigned cmd, uint32_t operand)
{
	reg_w(v, DSA_REG_CMD, DSA_CMD(cmd, operand), 4);
	return DSA_CMDSTS_ERR((uint32_t)reg(v, DSA_REG_CMDSTS));
}

/* ---- what each device does with guest memory ---- */

/* dmatest registers (dmatest0, and the software mdev's copy engine). */
static uint32_t dt_copy(struct vdev *v, uint64_t src, uint64_t dst, uint32_t len)
{
	reg_w(v, DMATEST_REG_SRC, src, 8);
	reg_w(v, DMATEST_REG_DST, dst, 8);
	reg_w(v, DMATEST_REG_LEN, len, 4);
	reg_w(v, DMATEST_REG_CTRL, DMATEST_CTRL_GO, 4);
	return (uint32_t)reg(v, DMATEST_REG_STATUS) == DMATEST_STATUS_DONE ?
		       0 :
		       (uint32_t)reg(v, DMATEST_REG_ERROR);
}

/* A MEMMOVE through the virtual DSA's WQ 0 (pasid: ENQCMD's vPASID). */
static int dsa_move(struct vdev *v, uint8_t *mem, uint64_t base, uint64_t src, uint64_t dst,
		    uint32_t len, uint32_t pasid)
{
	struct dsa_completion_record *cr = (void *)(mem + CR_OFF);
	memset(cr, 0, sizeof(*cr));
	struct dsa_hw_desc d = {
		.flags_opcode = DSA_DESC_MAKE_OP(DSA_OPCODE_MEMMOVE, DSA_FLAG_CRAV | DSA_FLAG_RCR),
		.pasid_priv = pasid,
		.completion_addr = base + CR_OFF,
		.src_addr = src,
		.dst_addr = dst,
		.xfer_size = len,
	};
	ssize_t n = uiommu_pwrite(v->fd, &d, sizeof(d), (int64_t)BAR2_OFF);
	if (n != sizeof(d))
		return (int)n;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint8_t st;
	while (!(st = __atomic_load_n(&cr->status, __ATOMIC_ACQUIRE))) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 5)
			return -1;
		sched_yield();
	}
	return DSA_COMP_STATUS(st);
}

/* A pattern to copy, different for each act. */
static void fill(uint8_t *p, unsigned len, uint8_t seed)
{
	for (unsigned i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 13);
}

/* The VFIO device behind a device fd, for the kernel side of the story. */
static struct vfio_device *vfio_dev_of(struct vdev *v)
{
	struct file *f = fget(v->fd);
	struct vfio_device_file *df = vfio_device_file_from_file(f);
	fput(f);
	return df ? df->device : NULL;
}

/* ---- opening and binding ---- */

static int vdev_open(struct uiommu_host *h, struct vdev *v, struct demo_out *o)
{
	if (vfio_device_cdev_name(h, v->dev, v->node, sizeof(v->node)))
		return -1;
	char path[48];
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", v->node);
	v->fd = uiommu_open(h, path, O_RDWR);
	struct vfio_device_info info = { .argsz = sizeof(info) };
	long before = ioc(v->fd, VFIO_DEVICE_GET_INFO, &info);
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = v->vm->fd };
	if (v->fd < 0 || ioc(v->fd, VFIO_DEVICE_BIND_IOMMUFD, &b))
		return -1;
	v->devid = b.out_devid;
	demo_say(o, v->vm->name, "%s: %s opened (GET_INFO before bind: %s), bound: dev_id %u",
		 v->label, path, before ? "refused" : "ANSWERED", v->devid);
	return 0;
}

/* What VFIO made of the binding, seen from the kernel side. */
static void say_route(struct uiommu_host *h, struct vdev *v, struct demo_out *o)
{
	struct device *parent = dev_is_mdev(v->dev) ? mdev_get_iommu_device(v->dev) : NULL;
	if (!dev_is_mdev(v->dev)) {
		v->route = "RID";
		demo_say(o, "vfio", "%s is a pdev: its RID; group %u now the iommufd's, DMA "
				    "blocked until attached",
			 v->label, iommu_group_id(iommu_group_get(v->dev)));
	} else if (parent) {
		v->route = "parent RID + PASID";
		demo_say(o, "vfio", "%s is an IOMMU-backed mdev: %s's RID (kept by %s) + default "
				    "PASID %u, chosen here and never shown to the user",
			 v->label, parent->name, dev_driver_name(parent),
			 mdev_get_iommu_pasid(v->dev));
	} else {
		v->route = "ACCESS";
		demo_say(o, "vfio", "%s is a software mdev: nothing in the IOMMU; dev_id %u is an "
				    "ACCESS its parent pins through",
			 v->label, v->devid);
	}
	(void)h;
}

/* ---- the acts ---- */

static bool act_4_1(struct vm *vm, struct vdev *dt, struct vdev *adi, struct vdev *sw,
		    struct demo_out *o)
{
	vm->gpa_ioas = ioas_alloc(vm->fd);
	bool ok = vm->gpa_ioas && !ioas_map(vm->fd, vm->gpa_ioas, vm->mem, GPA_SIZE, GPA);
	struct vdev *all[] = { dt, adi, sw };
	for (int i = 0; i < 3 && ok; i++) {
		ok = !attach(all[i], vm->gpa_ioas, false, 0, &all[i]->pt);
		demo_say(o, vm->name, "attach %s to IOAS %u -> %s %u", all[i]->label, vm->gpa_ioas,
			 all[i]->pt == vm->gpa_ioas ? "IOAS" : "HWPT", all[i]->pt);
	}
	if (!ok)
		return false;
	uint8_t *m = vm->mem;
	bus_master(dt);
	bus_master(sw);
	bus_master(adi);
	fill(m, 4096, 1);
	bool c1 = !dt_copy(dt, GPA, GPA + 0x10000, 4096) && !memcmp(m, m + 0x10000, 4096);
	fill(m + 0x1000, 4096, 2);
	bool c2 = !dt_copy(sw, GPA + 0x1000, GPA + 0x11000, 4096) &&
		  !memcmp(m + 0x1000, m + 0x11000, 4096);
	bool c3 = !dsa_cmd(adi, DSA_CMD_ENABLE_DEVICE, 0) && !dsa_cmd(adi, DSA_CMD_ENABLE_WQ, 0);
	fill(m + 0x2000, 4096, 3);
	c3 = c3 &&
	     dsa_move(adi, m, GPA, GPA + 0x2000, GPA + 0x12000, 4096, 0) == DSA_COMP_SUCCESS &&
	     !memcmp(m + 0x2000, m + 0x12000, 4096);
	demo_say(o, vm->name, "flow 4.1: 4 KiB copied in guest memory by %s %s, by %s %s, by %s %s",
		 dt->label, c1 ? "ok" : "FAILED", sw->label, c2 ? "ok" : "FAILED", adi->label,
		 c3 ? "ok" : "FAILED");
	return c1 && c2 && c3;
}

/* Flow 4.2: the pdev moves to an IOVA space the user shadows. */
static bool act_4_2(struct vm *vm, struct vdev *dt, struct demo_out *o)
{
	struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof(d) };
	uint32_t giova = ioas_alloc(vm->fd);
	bool ok = giova && !ioc(dt->fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d);
	uint32_t blocked = dt_copy(dt, GPA, GPA + 0x10000, 64);
	ok = ok && !attach(dt, giova, false, 0, &dt->pt);
	/* The vIOMMU maps GIOVA 0x2000 -> GPA 0x100000 and 0x3000 -> GPA
	 * 0x120000; the user maps the HVAs behind those GPAs. */
	ok = ok && !ioas_map(vm->fd, giova, vm->mem, 4096, 0x2000) &&
	     !ioas_map(vm->fd, giova, vm->mem + 0x20000, 4096, 0x3000);
	fill(vm->mem, 4096, 4);
	bool c = ok && !dt_copy(dt, 0x2000, 0x3000, 4096) &&
		 !memcmp(vm->mem, vm->mem + 0x20000, 4096);
	uint32_t gpa_now = dt_copy(dt, GPA, GPA + 0x10000, 64);
	demo_say(o, vm->name, "flow 4.2: %s detached (a copy meanwhile: %s), attached to IOAS %u "
			      "(HWPT %u) with shadow mappings; GIOVA copy %s, GPA copy now %s",
		 dt->label, blocked ? "blocked" : "NOT BLOCKED", giova, dt->pt, c ? "ok" : "FAILED",
		 gpa_now ? "blocked" : "NOT BLOCKED");
	return c && blocked && gpa_now;
}

/* Flow 4.5: vPASID 5 on the ADI, beside its default space. */
static bool act_4_5(struct uiommu_host *h, struct vm *vm, struct vdev *adi, uint8_t *gva,
		    struct demo_out *o)
{
	uint32_t gva_ioas = ioas_alloc(vm->fd), pt = 0;
	bool ok = gva_ioas && !ioas_map(vm->fd, gva_ioas, gva, GPA_SIZE, SPACE);
	ok = ok && !attach(adi, gva_ioas, true, 5, &pt);
	/* The guest points its WQ at vPASID 5 (PASID enabled in config). */
	uint16_t ctrl = 1;
	uiommu_pwrite(adi->fd, &ctrl, 2, (int64_t)CFG_OFF + 0x100 + 6);
	ok = ok && !dsa_cmd(adi, DSA_CMD_DISABLE_WQ, DSA_WQ_OPERAND(0));
	uint32_t d2 = (uint32_t)reg(adi, DSA_WQCFG(0, 2));
	reg_w(adi, DSA_WQCFG(0, 2), d2 | DSA_WQCFG_PASID(5) | DSA_WQCFG_PASID_EN, 4);
	ok = ok && !dsa_cmd(adi, DSA_CMD_ENABLE_WQ, 0);
	/* Which PASID the physical WQ runs with: the hardware's view (the
	 * ADI's is the only dedicated WQ enabled). */
	struct hw_pci_function *f = cli_hw_function(h, mdev_get_iommu_device(adi->dev));
	uint32_t pp = 0;
	for (unsigned w = 0; f && w < 8; w++) {
		uint64_t d2w = 0, d6 = 0;
		hw_pci_bar_read(f, 0, DSA_WQCFG(w, 2), 4, &d2w);
		hw_pci_bar_read(f, 0, DSA_WQCFG(w, 6), 4, &d6);
		if ((d2w & DSA_WQCFG_MODE_DEDICATED) &&
		    DSA_WQCFG_STATE((uint32_t)d6) == DSA_WQ_STATE_ENABLED)
			pp = DSA_WQCFG_PASID_OF((uint32_t)d2w);
	}
	fill(gva, 4096, 5);
	bool c = ok && dsa_move(adi, gva, SPACE, SPACE, SPACE + 0x8000, 4096, 0) ==
			       DSA_COMP_SUCCESS &&
		 !memcmp(gva, gva + 0x8000, 4096);
	demo_say(o, vm->name, "flow 4.5: vPASID 5 of %s attached to IOAS %u (HWPT %u); its "
			      "WQ runs with pPASID %u of dsa0's per-RID space; a MEMMOVE in that "
			      "space %s",
		 adi->label, gva_ioas, pt, pp, c ? "ok" : "FAILED");
	return c && pp && pp != 5;
}

/* A shared-WQ mdev of `vm`, vPASID `vpasid` on an IOAS of `mem`. */
static int swq_open(struct uiommu_host *h, struct vm *vm, struct vdev *v, const char *uuid,
		    uint8_t *mem, uint32_t vpasid, struct demo_out *o)
{
	if (uiommu_mdev_create(h, "dsa0:dsa-1swq-v1", uuid, &v->dev) || vdev_open(h, v, o))
		return -1;
	uint32_t ioas = ioas_alloc(vm->fd);
	if (!ioas || ioas_map(vm->fd, ioas, mem, GPA_SIZE, SPACE) ||
	    attach(v, ioas, true, vpasid, &v->pt))
		return -1;
	v->route = "parent RID + PASID";
	bus_master(v);
	return dsa_cmd(v, DSA_CMD_ENABLE_DEVICE, 0) || dsa_cmd(v, DSA_CMD_ENABLE_WQ, 0) ? -1 : 0;
}

static bool translation_on(struct vm *vm)
{
	struct uiommu_pasid_translation t = {
		.size = sizeof(t),
		.flags = UIOMMU_PASID_TRANSLATION_SET | UIOMMU_PASID_TRANSLATION_ENABLE
	};
	return !ioc(vm->fd, UIOMMU_PASID_TRANSLATION, &t) && t.out_enabled;
}

/* Section 1.4.2: ENQCMD through a shared WQ, two VMs. */
static bool act_enqcmd(struct uiommu_host *h, struct vm *vm1, struct vm *vm2, struct vdev *s1,
		       struct vdev *s2, uint8_t *gva1, uint8_t *gva2, struct demo_out *o)
{
	if (swq_open(h, vm1, s1, "e9c0d000-5107-4000-8000-000000000011", gva1, 9, o) ||
	    swq_open(h, vm2, s2, "e9c0d000-5107-4000-8000-000000000012", gva2, 9, o))
		return false;
	ioasid_t p1 = 0, p2 = 0;
	vfio_device_pasid_translate(vfio_dev_of(s1), 9, &p1);
	vfio_device_pasid_translate(vfio_dev_of(s2), 9, &p2);
	demo_say(o, "vfio", "vPASID 9 is pPASID %u for vm1 and %u for vm2, from the global space: "
			    "the same on every shared-WQ device of one VM, as the CPU translates "
			    "it",
		 p1, p2);
	fill(gva1, 4096, 6);
	int before = dsa_move(s1, gva1, SPACE, SPACE, SPACE + 0x9000, 4096, 9);
	bool on = translation_on(vm1);
	int after = dsa_move(s1, gva1, SPACE, SPACE, SPACE + 0x9000, 4096, 9);
	bool c1 = after == DSA_COMP_SUCCESS && !memcmp(gva1, gva1 + 0x9000, 4096);
	demo_say(o, vm1->name, "%s: ENQCMD with vPASID 9 before CPU PASID translation: %s; "
			       "UIOMMU_PASID_TRANSLATION on: %s; ENQCMD again: %s",
		 s1->label, before == -EPERM ? "refused (EPERM)" : "NOT REFUSED",
		 on ? "yes" : "no", c1 ? "done in vm1's space" : "FAILED");
	/* vm2: its own vPASID 9, and a descriptor aimed at vm1's memory by
	 * its host address. */
	translation_on(vm2);
	memset(gva2 + 0x9000, 0, 64);
	uint64_t victim = (uint64_t)(uintptr_t)(gva1 + 0x9000);
	uint8_t keep[64];
	memcpy(keep, gva1 + 0x9000, 64);
	int st = dsa_move(s2, gva2, SPACE, SPACE, victim, 64, 9);
	bool held = st == DSA_COMP_PAGE_FAULT_NOBOF && !memcmp(keep, gva1 + 0x9000, 64);
	demo_say(o, vm2->name, "%s: vPASID 9 is vm2's own pPASID; a MEMMOVE aimed at vm1's memory "
			       "(host address 0x%" PRIx64 "): status 0x%02x (%s), vm1's data %s",
		 s2->label, victim, st, st == DSA_COMP_PAGE_FAULT_NOBOF ? "page fault" : "?",
		 held ? "untouched" : "CHANGED");
	return before == -EPERM && on && c1 && held;
}

/* ---- the show ---- */

static void summary(struct vdev *v, int n, struct demo_out *o)
{
	if (o->json)
		return;
	printf("\n  %-9s %-7s %-22s %-18s %6s %6s\n", "device", "node", "kind", "routing",
	       "dev_id", "pt_id");
	for (int i = 0; i < n; i++)
		printf("  %-9s %-7s %-22s %-18s %6u %6u\n", v[i].label, v[i].node, v[i].kind,
		       v[i].route, v[i].devid, v[i].pt);
	printf("\n");
}

static int setup(struct uiommu_host *h, struct vm *vm, const char *name)
{
	vm->name = name;
	vm->fd = uiommu_open(h, "/dev/iommu", O_RDWR);
	vm->mem = xmmap(GPA_SIZE);
	return vm->fd < 0 || !vm->mem ? -1 : 0;
}

int demo_iommufd(struct uiommu_host *h, struct demo_out *o)
{
	struct device *dsa = uiommu_device_find(h, "dsa0");
	struct device *dmat = uiommu_device_find(h, "dmatest0");
	if (!dsa || !dsa->driver || !dmat) {
		fprintf(stderr, "uiommu demo: the iommufd scenario needs dmatest0 and a DSA (dsa0) "
				"bound to idxd (the default topology has both)\n");
		return 1;
	}
	struct vm vm1 = { .fd = -1 }, vm2 = { .fd = -1 };
	struct vdev v[NR_DEVS + 1];
	memset(v, 0, sizeof(v));
	uint8_t *gva1 = xmmap(GPA_SIZE), *gva2 = xmmap(GPA_SIZE), *gva = xmmap(GPA_SIZE);
	bool ok = !setup(h, &vm1, "vm1") && !setup(h, &vm2, "vm2") && gva1 && gva2 && gva;
	demo_say(o, "host", "/dev/iommu opened twice: vm1 and vm2, one context each");
	v[0] = (struct vdev){ "dmatest0", "PCI function (pdev)", &vm1, dmat, -1, .route = "-" };
	v[1] = (struct vdev){ "adi", "idxd dsa-1dwq-pasid-v1", &vm1, NULL, -1, .route = "-" };
	v[2] = (struct vdev){ "swcopy", "swmdev swcopy-v1", &vm1, NULL, -1, .route = "-" };
	v[3] = (struct vdev){ "swq1", "idxd dsa-1swq-v1", &vm1, NULL, -1, .route = "-" };
	v[4] = (struct vdev){ "swq2", "idxd dsa-1swq-v1", &vm2, NULL, -1, .route = "-" };
	ok = ok &&
	     !uiommu_mdev_create(h, "dsa-1dwq-pasid-v1", "ad100000-5107-4000-8000-000000000001",
				 &v[1].dev) &&
	     !uiommu_mdev_create(h, "swcopy-v1", "5ccc0000-5107-4000-8000-000000000002",
				 &v[2].dev);
	for (int i = 0; i < 3 && ok; i++)
		if ((ok = !vdev_open(h, &v[i], o)))
			say_route(h, &v[i], o);
	bool acts = ok && act_4_1(&vm1, &v[0], &v[1], &v[2], o);
	acts = acts && act_4_2(&vm1, &v[0], o);
	acts = acts && act_4_5(h, &vm1, &v[1], gva, o);
	acts = acts && act_enqcmd(h, &vm1, &vm2, &v[3], &v[4], gva1, gva2, o);
	summary(v, NR_DEVS + 1, o);
	if (demo_field(o, "pasid_table"))
		printf("The PASID table of dsa0 (default PASID, vPASID 5's pPASID, the VMs' "
		       "pPASIDs):\n\n");
	intel_dump(h, stdout, "dsa0", o->json, 8);
	demo_done(o, acts);
	for (int i = 0; i <= NR_DEVS; i++) {
		if (v[i].fd >= 0)
			uiommu_close(v[i].fd);
		if (v[i].dev && dev_is_mdev(v[i].dev))
			uiommu_mdev_remove(h, v[i].dev->name);
	}
	uiommu_close(vm1.fd);
	uiommu_close(vm2.fd);
	munmap(vm1.mem, GPA_SIZE);
	munmap(vm2.mem, GPA_SIZE);
	munmap(gva, GPA_SIZE);
	munmap(gva1, GPA_SIZE);
	munmap(gva2, GPA_SIZE);
	return acts ? 0 : 1;
}
