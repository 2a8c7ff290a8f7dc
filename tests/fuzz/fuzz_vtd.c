/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VT-d unit as a buggy driver drives it (SPEC R-1, H-1 .. H-8, R-5):
 * a bare machine (no kernel side), the first unit's registers, and table
 * memory the "driver" owns - an arena of pages holding the root, context
 * and PASID tables, page tables, the invalidation queue, the page request
 * queue and status words. Each input starts from what a correct driver
 * sets up (Linux's order: root table, SRTP, queue, QIE, global
 * invalidations, TE) and then writes registers, writes any table word,
 * queues descriptors (by writing the queue and IQT) and has devices DMA,
 * with and without PASIDs.
 *
 * Every address the driver gives the hardware - register values and
 * table words - is steered into the arena, below 64 KiB (no memory) or
 * above the address space, since on this model a physical address is a
 * pointer of the process. The arena sits in a 1 GiB-aligned GiB of
 * address space that has no memory but it, so even a large page the
 * driver builds over it reaches nothing else of the process: what lies
 * outside the arena is "no memory", which the hardware must answer with
 * a fault or an abort (SPEC R-5). The oracle: nothing crashes or hangs,
 * and the sanitizers see nothing.
 */
#include <sys/mman.h>

#include <uiommu/host.h>
#include <uiommu/hw/pci_regs.h>
#include <uiommu/hw/vtd.h>
#include <uiommu/hw/vtd_regs.h>

#include "fuzz.h"
#include "host/host.h"
#include "hw/machine.h"
#include "hw/pci/dma.h"

#define PAGE   4096u
#define PAGES  64u
#define ARENA  (PAGES * PAGE)
#define SPACE  (1ull << 30)

enum { PG_ROOT, PG_IQ, PG_STATUS, PG_PRQ, PG_FREE };

static struct uiommu_host *host;
static struct vtd_unit *unit;
static struct hw_pci_function *devs[3];
static uint8_t *arena;  /* in the middle of a GiB without memory */

static uint64_t pa(unsigned page)
{
	return (uint64_t)(uintptr_t)(arena + (size_t)page * PAGE);
}

static void wr64(unsigned off, uint64_t v)
{
	vtd_mmio_write(unit, off, 8, v);
}

static void wr32(unsigned off, uint32_t v)
{
	vtd_mmio_write(unit, off, 4, v);
}

static uint64_t rd(unsigned off, unsigned size)
{
	uint64_t v = 0;
	vtd_mmio_read(unit, off, size, &v);
	return v;
}

/* A physical address the driver may hand the unit. */
static uint64_t steer_pa(uint64_t v)
{
	switch (v & 7) {
	case 0:
		return (v >> 3) & 0xffff; /* no memory there: an IOVA most times */
	case 1:
		return (1ull << 48) | (v & 0xffffffff000ull); /* past the address width */
	default:
		return (uint64_t)(uintptr_t)arena + ((v >> 3) % ARENA);
	}
}

/* A table word: an arena address with the input's flag bits (the low 12
 * and the top 12 bits, which no address uses), or flags alone. */
static uint64_t steer_word(uint64_t v, uint8_t mode)
{
	uint64_t flags = v & 0xfff0000000000fffull;
	switch (mode & 3) {
	case 0:
		return flags;
	case 1:
		return flags | (pa(PG_FREE + (unsigned)((v >> 12) % (PAGES - PG_FREE))) & ~0xfffull);
	case 2:
		return flags | (steer_pa(v >> 12) & ~0xfffull);
	default:
		return (v & 0xfff) | (steer_pa(v >> 12) & 0xfffffffffffff000ull);
	}
}

static void qi_add(unsigned *tail, uint64_t q0, uint64_t q1)
{
	uint64_t *d = (uint64_t *)(arena + PG_IQ * PAGE + *tail);
	d[0] = q0;
	d[1] = q1;
	d[2] = d[3] = 0;
	*tail = (*tail + 32) % PAGE;
}

/* What a correct driver does at boot; every cache starts empty. */
static void prologue(void)
{
	wr32(VTD_REG_GCMD, 0);
	memset(arena, 0, ARENA);
	wr32(VTD_REG_FSTS, 0xffffffffu);
	unsigned nfr = VTD_CAP_NFR(rd(VTD_REG_CAP, 8)), fro = VTD_CAP_FRO(rd(VTD_REG_CAP, 8));
	for (unsigned i = 0; i < nfr; i++)
		vtd_mmio_write(unit, fro + 16 * i + 8, 8, VTD_FRCD_HI_F);
	wr64(VTD_REG_RTADDR, pa(PG_ROOT) | VTD_RTADDR_TTM_SCALABLE);
	wr32(VTD_REG_GCMD, VTD_GCMD_SRTP);
	wr64(VTD_REG_IQT, 0);
	wr64(VTD_REG_IQA, pa(PG_IQ) | VTD_IQA_DW);
	wr32(VTD_REG_GCMD, VTD_GCMD_QIE);
	wr64(VTD_REG_PQH, 0);
	wr64(VTD_REG_PQT, 0);
	wr64(VTD_REG_PQA, pa(PG_PRQ));
	wr32(VTD_REG_PRS, 0xffffffffu);
	unsigned tail = 0;
	qi_add(&tail, vtd_inv_qw0(VTD_INV_CC) | ((uint64_t)VTD_INV_CC_GLOBAL << 4), 0);
	qi_add(&tail, vtd_inv_qw0(VTD_INV_PC) | ((uint64_t)VTD_INV_PC_GLOBAL << 4), 0);
	qi_add(&tail, vtd_inv_qw0(VTD_INV_IOTLB) | ((uint64_t)VTD_INV_IOTLB_GLOBAL << 4), 0);
	qi_add(&tail, vtd_inv_qw0(VTD_INV_WAIT) | VTD_INV_WAIT_SW | (1ull << 32), pa(PG_STATUS));
	wr64(VTD_REG_IQT, tail);
	wr32(VTD_REG_GCMD, VTD_GCMD_QIE | VTD_GCMD_TE);
}

static bool is_addr_reg(unsigned off)
{
	static const unsigned regs[] = { VTD_REG_RTADDR, VTD_REG_IQA, VTD_REG_PQA };
	for (unsigned i = 0; i < 3; i++)
		if (off + 8 > regs[i] && off < regs[i] + 8)
			return true;
	return false;
}

static void mmio_write(struct fz *in)
{
	unsigned off = fz_u16(in) % 0x1000 & ~3u;
	unsigned size = fz_u8(in) & 1 ? 8 : 4;
	uint64_t v = fz_u64(in);
	if (is_addr_reg(off)) {
		/* Whole, steered: a half would pair with a stale other half. */
		off &= ~7u;
		size = 8;
		v = (v & 0xfff) | (steer_pa(v >> 12) & ~0xfffull);
	}
	vtd_mmio_write(unit, off, size, v);
}

static void table_write(struct fz *in)
{
	unsigned off = (fz_u16(in) % (ARENA / 8)) * 8;
	uint8_t mode = fz_u8(in);
	uint64_t v = steer_word(fz_u64(in), mode);
	__atomic_store_n((uint64_t *)(arena + off), v, __ATOMIC_RELEASE);
}

/* The queue: a descriptor at the tail, then the tail moved. */
static void queue(struct fz *in)
{
	unsigned tail = (unsigned)rd(VTD_REG_IQT, 8) % PAGE & ~31u;
	uint64_t q0 = fz_u64(in), q1 = fz_u64(in);
	if ((q0 & 0xf) == VTD_INV_WAIT)
		q1 = steer_pa(q1) & ~3ull; /* the status address */
	qi_add(&tail, q0, q1);
	wr64(VTD_REG_IQT, tail);
}

static void dma(struct fz *in)
{
	struct hw_pci_function *d = devs[fz_u8(in) % 3];
	uint8_t f = fz_u8(in);
	struct pci_dma_attr a = { .pasid = f & 1 ? fz_u32(in) & 0xfffff : PCI_NO_PASID,
				  .priv = f & 2 };
	uint64_t addr = steer_pa(fz_u64(in));
	size_t len = fz_u16(in) % 8192;
	static uint8_t buf[8192];
	struct pci_dma_result res;
	if (f & 4)
		pci_dma_write(NULL, d, &a, addr, buf, len, &res);
	else
		pci_dma_read(NULL, d, &a, addr, buf, len, &res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data, size };
	prologue();
	for (unsigned steps = 0; in.n && steps < 128; steps++) {
		switch (fz_u8(&in) % 8) {
		case 0:
			mmio_write(&in);
			break;
		case 1:
			rd(fz_u16(&in) % 0x1000 & ~3u, fz_u8(&in) & 1 ? 8 : 4);
			break;
		case 2:
		case 3:
		case 4:
			table_write(&in);
			break;
		case 5:
			queue(&in);
			break;
		default:
			dma(&in);
			break;
		}
	}
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	/* The built-in machine with small caches: a global flush per input
	 * stays cheap, and replacement paths get exercised. */
	const char *def = uiommu_default_topology();
	static const char unit_key[] = "{ \"name\": \"dmar0\", \"scope\": \"all\"";
	static const char small[] = ", \"iotlb_entries\": 64, \"context_cache_entries\": 16, "
				    "\"pasid_cache_entries\": 16";
	const char *at = strstr(def, unit_key);
	FUZZ_ASSERT(at, "the default topology's unit");
	size_t head = (size_t)(at - def) + sizeof(unit_key) - 1;
	char *json = malloc(strlen(def) + sizeof(small)), err[256];
	memcpy(json, def, head);
	strcpy(json + head, small);
	strcat(json, def + head);
	struct uiommu_host_opts o = { .topology_json = json, .bare = true };
	FUZZ_ASSERT(!uiommu_host_new(&o, &host, err, sizeof(err)), "host: %s", err);
	free(json);
	unit = uiommu_host_unit(host, 0);
	static const char *const names[] = { "dmatest0", "dmatest1", "dsa0" };
	for (unsigned i = 0; i < 3; i++) {
		devs[i] = hw_pci_function_by_name(host->m, names[i]);
		FUZZ_ASSERT(devs[i], "device %s", names[i]);
		hw_pci_cfg_write(devs[i], PCI_COMMAND, 2, PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY);
		if (devs[i]->ecap_pasid)
			hw_pci_cfg_write(devs[i], devs[i]->ecap_pasid + PCI_PASID_CTRL, 2,
					 PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_PRIV);
	}
	uint8_t *space = mmap(NULL, 2 * SPACE, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	FUZZ_ASSERT(space != MAP_FAILED, "address space");
	uint8_t *gib = (uint8_t *)(((uintptr_t)space + SPACE - 1) & ~(uintptr_t)(SPACE - 1));
	arena = gib + SPACE / 2;
	FUZZ_ASSERT(!mprotect(arena, ARENA, PROT_READ | PROT_WRITE), "arena");
	return 0;
}
