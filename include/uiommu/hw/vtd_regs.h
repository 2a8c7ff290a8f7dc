/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Intel VT-d (Virtualization Technology for Directed I/O) scalable mode:
 * register offsets, register bits, in-memory structure layouts and
 * invalidation-queue descriptor encodings.
 *
 * These are hardware facts shared by the remapping-unit model (src/hw/vtd)
 * and by every driver that programs it (src/iommu/intel, tests). Section
 * numbers refer to the VT-d Architecture Specification (rev. 3.x/4.x).
 * Field positions are written as absolute bit numbers, high:low.
 */
#ifndef UIOMMU_HW_VTD_REGS_H
#define UIOMMU_HW_VTD_REGS_H

#include <stdint.h>

#define VTD_PAGE_SHIFT 12
#define VTD_PAGE_SIZE  (1ull << VTD_PAGE_SHIFT)
#define VTD_PAGE_MASK  (~(VTD_PAGE_SIZE - 1))

/* ---- 10.4 Register descriptions: offsets in the unit's MMIO page ---- */
#define VTD_MMIO_SIZE     0x1000
#define VTD_REG_VER       0x000 /* 32 */
#define VTD_REG_CAP       0x008 /* 64 */
#define VTD_REG_ECAP      0x010 /* 64 */
#define VTD_REG_GCMD      0x018 /* 32 */
#define VTD_REG_GSTS      0x01c /* 32 */
#define VTD_REG_RTADDR    0x020 /* 64 */
#define VTD_REG_CCMD      0x028 /* 64 */
#define VTD_REG_FSTS      0x034 /* 32 */
#define VTD_REG_FECTL     0x038 /* 32 */
#define VTD_REG_FEDATA    0x03c /* 32 */
#define VTD_REG_FEADDR    0x040 /* 32 */
#define VTD_REG_FEUADDR   0x044 /* 32 */
#define VTD_REG_IQH       0x080 /* 64 */
#define VTD_REG_IQT       0x088 /* 64 */
#define VTD_REG_IQA       0x090 /* 64 */
#define VTD_REG_ICS       0x09c /* 32 */
#define VTD_REG_IECTL     0x0a0 /* 32 */
#define VTD_REG_IEDATA    0x0a4 /* 32 */
#define VTD_REG_IEADDR    0x0a8 /* 32 */
#define VTD_REG_IEUADDR   0x0ac /* 32 */
#define VTD_REG_IQER      0x0b0 /* 64 */
#define VTD_REG_IRTA      0x0b8 /* 64 */
#define VTD_REG_PQH       0x0c0 /* 64 */
#define VTD_REG_PQT       0x0c8 /* 64 */
#define VTD_REG_PQA       0x0d0 /* 64 */
#define VTD_REG_PRS       0x0dc /* 32 */
#define VTD_REG_PECTL     0x0e0 /* 32 */
#define VTD_REG_PEDATA    0x0e4 /* 32 */
#define VTD_REG_PEADDR    0x0e8 /* 32 */
#define VTD_REG_PEUADDR   0x0ec /* 32 */
#define VTD_REG_IVA       0x0f0 /* 64, IOTLB registers at ECAP.IRO * 16 */
#define VTD_REG_IOTLB     0x0f8 /* 64 */
#define VTD_REG_FRCD0     0x220 /* 128 each, at CAP.FRO * 16 */

/* ---- 10.4.2 Capability register ---- */
#define VTD_CAP_ND(c)      ((unsigned)((c) & 7))            /* 2^(4+2*ND) domains */
#define VTD_CAP_RWBF       (1ull << 4)
#define VTD_CAP_CM         (1ull << 7)                      /* caching mode */
#define VTD_CAP_SAGAW(c)   ((unsigned)(((c) >> 8) & 0x1f))   /* bit1 39b/3lvl, bit2 48b/4lvl, bit3 57b/5lvl */
#define VTD_CAP_MGAW(c)    ((unsigned)(((c) >> 16) & 0x3f) + 1)
#define VTD_CAP_ZLR        (1ull << 22)
#define VTD_CAP_FRO(c)     ((unsigned)(((c) >> 24) & 0x3ff) * 16)
#define VTD_CAP_SLLPS(c)   ((unsigned)(((c) >> 34) & 0xf))   /* bit0 2MiB, bit1 1GiB */
#define VTD_CAP_PSI        (1ull << 39)
#define VTD_CAP_NFR(c)     ((unsigned)(((c) >> 40) & 0xff) + 1)
#define VTD_CAP_MAMV(c)    ((unsigned)(((c) >> 48) & 0x3f))
#define VTD_CAP_DWD        (1ull << 54)
#define VTD_CAP_DRD        (1ull << 55)
#define VTD_CAP_FL1GP      (1ull << 56)
#define VTD_CAP_FL5LP      (1ull << 60)

/* ---- 10.4.3 Extended capability register ---- */
#define VTD_ECAP_C         (1ull << 0)   /* page-walk coherency */
#define VTD_ECAP_QI        (1ull << 1)
#define VTD_ECAP_DT        (1ull << 2)   /* device-TLB (ATS) */
#define VTD_ECAP_IR        (1ull << 3)
#define VTD_ECAP_PT        (1ull << 6)
#define VTD_ECAP_SC        (1ull << 7)
#define VTD_ECAP_IRO(e)    ((unsigned)(((e) >> 8) & 0x3ff) * 16)
#define VTD_ECAP_NEST      (1ull << 26)
#define VTD_ECAP_PRS       (1ull << 29)
#define VTD_ECAP_ERS       (1ull << 30)
#define VTD_ECAP_SRS       (1ull << 31)
#define VTD_ECAP_EAFS      (1ull << 34)  /* extended accessed flag */
#define VTD_ECAP_PSS(e)    ((unsigned)(((e) >> 35) & 0x1f)) /* PASID bits - 1 */
#define VTD_ECAP_PASID     (1ull << 40)
#define VTD_ECAP_PDS       (1ull << 42)  /* page-request drain */
#define VTD_ECAP_SMTS      (1ull << 43)
#define VTD_ECAP_SLADS     (1ull << 45)
#define VTD_ECAP_SLTS      (1ull << 46)
#define VTD_ECAP_FLTS      (1ull << 47)
#define VTD_ECAP_SMPWC     (1ull << 48)
#define VTD_ECAP_RPS       (1ull << 49)

/* ---- 10.4.4/10.4.5 Global command and status ---- */
#define VTD_GCMD_TE        (1u << 31)
#define VTD_GCMD_SRTP      (1u << 30)
#define VTD_GCMD_SFL       (1u << 29)
#define VTD_GCMD_EAFL      (1u << 28)
#define VTD_GCMD_WBF       (1u << 27)
#define VTD_GCMD_QIE       (1u << 26)
#define VTD_GCMD_IRE       (1u << 25)
#define VTD_GCMD_SIRTP     (1u << 24)
#define VTD_GCMD_CFI       (1u << 23)
#define VTD_GSTS_TES       VTD_GCMD_TE
#define VTD_GSTS_RTPS      VTD_GCMD_SRTP
#define VTD_GSTS_WBFS      VTD_GCMD_WBF
#define VTD_GSTS_QIES      VTD_GCMD_QIE
#define VTD_GSTS_IRES      VTD_GCMD_IRE
#define VTD_GSTS_IRTPS     VTD_GCMD_SIRTP
#define VTD_GSTS_CFIS      VTD_GCMD_CFI

/* ---- 10.4.6 Root table address: TTM selects the table format ---- */
#define VTD_RTADDR_TTM_SHIFT   10
#define VTD_RTADDR_TTM_MASK    (3ull << 10)
#define VTD_RTADDR_TTM_LEGACY  (0ull << 10)
#define VTD_RTADDR_TTM_SCALABLE (1ull << 10)

/* ---- 10.4.9/10.4.10 Fault status and event control ---- */
#define VTD_FSTS_PFO       (1u << 0)
#define VTD_FSTS_PPF       (1u << 1)
#define VTD_FSTS_IQE       (1u << 4)
#define VTD_FSTS_ICE       (1u << 5)
#define VTD_FSTS_ITE       (1u << 6)
#define VTD_FSTS_FRI(s)    (((s) >> 8) & 0xff)
#define VTD_XECTL_IM       (1u << 31) /* FECTL, IECTL, PECTL: interrupt mask */
#define VTD_XECTL_IP       (1u << 30) /* interrupt pending */

/* Fault recording register (128 bits): upper qword fields. */
#define VTD_FRCD_HI_SID(h)    ((uint16_t)((h) & 0xffff))
#define VTD_FRCD_HI_PP        (1ull << 31)   /* PASID present (bit 95) */
#define VTD_FRCD_HI_FR(h)     ((uint8_t)(((h) >> 32) & 0xff))
#define VTD_FRCD_HI_PV(h)     ((uint32_t)(((h) >> 40) & 0xfffff))
#define VTD_FRCD_HI_AT(h)     ((unsigned)(((h) >> 60) & 3))
#define VTD_FRCD_HI_T         (1ull << 62)   /* T=1: read request */
#define VTD_FRCD_HI_F         (1ull << 63)   /* fault pending, write 1 to clear */
#define VTD_FRCD_HI_PRIV      (1ull << 29)   /* privilege mode requested (bit 93) */
#define VTD_FRCD_HI_EXE       (1ull << 30)   /* execute requested (bit 94) */

/* ---- 10.4.22-25 Invalidation queue ---- */
#define VTD_IQA_ADDR_MASK  (~0xfffull)
#define VTD_IQA_DW         (1ull << 11)  /* 256-bit descriptors */
#define VTD_IQA_QS(v)      ((unsigned)((v) & 7)) /* 2^(QS+8) 128-bit slots */
#define VTD_IQ_PTR_MASK    0x7fff0ull     /* IQH/IQT bits 18:4 */
#define VTD_ICS_IWC        (1u << 0)

/* IQER (10.4.26): why the queue stopped (IQEI, bits 3:0). */
#define VTD_IQER_IQEI(v)        ((unsigned)((v) & 0xf))
#define VTD_IQEI_TAIL           1 /* tail pointer beyond the queue */
#define VTD_IQEI_FETCH          2 /* descriptor fetch error */
#define VTD_IQEI_TYPE           3 /* invalid descriptor type */
#define VTD_IQEI_RSVD           4 /* reserved field violation */
#define VTD_IQEI_WIDTH          5 /* 256-bit-only type in a 128-bit queue */
#define VTD_IQEI_TAIL_ALIGN     6 /* tail not 256-bit aligned with DW=1 */

/* ---- 10.4.30-33 Page request queue ---- */
#define VTD_PQA_ADDR_MASK  (~0xfffull)
#define VTD_PQA_PQS(v)     ((unsigned)((v) & 7)) /* 2^PQS pages of 128 descriptors */
#define VTD_PQ_PTR_MASK    0x7ffe0ull     /* PQH/PQT bits 18:5 */
#define VTD_PRS_PPR        (1u << 0)
#define VTD_PRS_PRO        (1u << 1)

/* ---- 9.1 Root entry (scalable mode: two halves, 9.2) ---- */
#define VTD_ROOT_ENTRIES      256
#define VTD_SM_ROOT_P         (1ull << 0)     /* LP in lo, UP in hi */
#define VTD_SM_ROOT_CTP_MASK  VTD_PAGE_MASK   /* LCTP / UCTP */

/* ---- 9.4 Scalable-mode context entry (256 bits = 4 qwords) ---- */
#define VTD_SM_CONTEXT_ENTRIES 128            /* per half-table page */
#define VTD_SM_CTX_P          (1ull << 0)
#define VTD_SM_CTX_FPD        (1ull << 1)
#define VTD_SM_CTX_DTE        (1ull << 2)
#define VTD_SM_CTX_PASIDE     (1ull << 3)
#define VTD_SM_CTX_PRE        (1ull << 4)
#define VTD_SM_CTX_PDTS(v)    ((unsigned)(((v) >> 9) & 7)) /* dir has 2^(PDTS+7) entries */
#define VTD_SM_CTX_PDTS_SHIFT 9
#define VTD_SM_CTX_PDP_MASK   VTD_PAGE_MASK
#define VTD_SM_CTX_RID_PASID(v1) ((uint32_t)((v1) & 0xfffff))

/* ---- 9.5 PASID directory entry (64 bits) ---- */
#define VTD_PASID_PDE_SHIFT   6
#define VTD_PASID_DIR_P       (1ull << 0)
#define VTD_PASID_DIR_FPD     (1ull << 1)
#define VTD_PASID_DIR_PTP_MASK VTD_PAGE_MASK
#define VTD_PASID_TBL_ENTRIES 64

/* ---- 9.6 Scalable-mode PASID table entry (512 bits = 8 qwords) ---- */
#define VTD_PASID_ENTRY_QWORDS 8
/* qword 0 */
#define VTD_PE0_P             (1ull << 0)
#define VTD_PE0_FPD           (1ull << 1)
#define VTD_PE0_AW(v)         ((unsigned)(((v) >> 2) & 7))
#define VTD_PE0_AW_SHIFT      2
#define VTD_PE0_SSEE          (1ull << 5)
#define VTD_PE0_PGTT(v)       ((unsigned)(((v) >> 6) & 7))
#define VTD_PE0_PGTT_SHIFT    6
#define VTD_PE0_SSADE         (1ull << 9)
#define VTD_PE0_SSPTPTR_MASK  VTD_PAGE_MASK
/* qword 1 */
#define VTD_PE1_DID(v)        ((uint16_t)((v) & 0xffff))
#define VTD_PE1_PWSNP         (1ull << 23)
#define VTD_PE1_PGSNP         (1ull << 24)
/* qword 2 */
#define VTD_PE2_SRE           (1ull << 0)
#define VTD_PE2_ERE           (1ull << 1)
#define VTD_PE2_FSPM(v)       ((unsigned)(((v) >> 2) & 3))
#define VTD_PE2_FSPM_SHIFT    2
#define VTD_PE2_WPE           (1ull << 4)
#define VTD_PE2_NXE           (1ull << 5)
#define VTD_PE2_SMEP          (1ull << 6)
#define VTD_PE2_EAFE          (1ull << 7)
#define VTD_PE2_FSPTPTR_MASK  VTD_PAGE_MASK

/* PGTT: PASID-granular translation type (9.6). */
enum vtd_pgtt {
	VTD_PGTT_FS     = 1, /* first-stage only */
	VTD_PGTT_SS     = 2, /* second-stage only */
	VTD_PGTT_NESTED = 3,
	VTD_PGTT_PT     = 4, /* pass-through */
};

/* ---- 9.8 Second-stage paging entries (no present bit: valid iff R|W) ---- */
#define VTD_SS_R      (1ull << 0)
#define VTD_SS_W      (1ull << 1)
#define VTD_SS_X      (1ull << 2)
#define VTD_SS_PS     (1ull << 7)
#define VTD_SS_A      (1ull << 8)
#define VTD_SS_D      (1ull << 9)
#define VTD_SS_SNP    (1ull << 11)
#define VTD_SS_ADDR_MASK 0x000ffffffffff000ull

/* ---- 9.7 First-stage paging entries (IA-32e format) ---- */
#define VTD_FS_P      (1ull << 0)
#define VTD_FS_RW     (1ull << 1)
#define VTD_FS_US     (1ull << 2)
#define VTD_FS_PWT    (1ull << 3)
#define VTD_FS_PCD    (1ull << 4)
#define VTD_FS_A      (1ull << 5)
#define VTD_FS_D      (1ull << 6)
#define VTD_FS_PS     (1ull << 7)
#define VTD_FS_G      (1ull << 8)
#define VTD_FS_XD     (1ull << 63)
#define VTD_FS_ADDR_MASK 0x000ffffffffff000ull

/* ---- 6.5.2 Invalidation descriptors: type in bits 3:0 and 11:9 ---- */
#define VTD_INV_TYPE(q0)      ((unsigned)(((q0) & 0xf) | (((q0) >> 5) & 0x70)))
enum vtd_inv_type {
	VTD_INV_CC        = 0x1, /* context-cache */
	VTD_INV_IOTLB     = 0x2,
	VTD_INV_DEVTLB    = 0x3,
	VTD_INV_IEC       = 0x4, /* interrupt entry cache */
	VTD_INV_WAIT      = 0x5,
	VTD_INV_PIOTLB    = 0x6, /* PASID-based IOTLB */
	VTD_INV_PC        = 0x7, /* PASID-cache */
	VTD_INV_PDEVTLB   = 0x8, /* PASID-based device-TLB */
	VTD_INV_PGRP_RESP = 0x9, /* page-group response */
};
#define VTD_INV_G(q0)         ((unsigned)(((q0) >> 4) & 3))
#define VTD_INV_DID(q0)       ((uint16_t)(((q0) >> 16) & 0xffff))
#define VTD_INV_PASID(q0)     ((uint32_t)(((q0) >> 32) & 0xfffff))

/* context-cache (0x1) */
#define VTD_INV_CC_GLOBAL     1
#define VTD_INV_CC_DOMAIN     2
#define VTD_INV_CC_DEVICE     3
#define VTD_INV_CC_SID(q0)    ((uint16_t)(((q0) >> 32) & 0xffff))
#define VTD_INV_CC_FM(q0)     ((unsigned)(((q0) >> 48) & 3))
/* IOTLB (0x2) */
#define VTD_INV_IOTLB_GLOBAL  1
#define VTD_INV_IOTLB_DSI     2
#define VTD_INV_IOTLB_PSI     3
#define VTD_INV_IOTLB_DW      (1ull << 6)
#define VTD_INV_IOTLB_DR      (1ull << 7)
#define VTD_INV_ADDR_AM(q1)   ((unsigned)((q1) & 0x3f))
#define VTD_INV_ADDR_IH       (1ull << 6)
#define VTD_INV_ADDR(q1)      ((q1) & VTD_PAGE_MASK)
/* device-TLB (0x3) */
#define VTD_INV_DEVTLB_SID(q0)  ((uint16_t)(((q0) >> 32) & 0xffff))
#define VTD_INV_DEVTLB_QDEP(q0) ((unsigned)(((q0) >> 16) & 0x1f))
#define VTD_INV_DEVTLB_S        (1ull << 0)   /* qword 1: size bit */
/* wait (0x5) */
#define VTD_INV_WAIT_IF       (1ull << 4)
#define VTD_INV_WAIT_SW       (1ull << 5)
#define VTD_INV_WAIT_FN       (1ull << 6)
#define VTD_INV_WAIT_PD       (1ull << 7)
#define VTD_INV_WAIT_DATA(q0) ((uint32_t)((q0) >> 32))
#define VTD_INV_WAIT_ADDR(q1) ((q1) & ~3ull)
/* PASID-based IOTLB (0x6) */
#define VTD_INV_PIOTLB_ALL_IN_PASID 2
#define VTD_INV_PIOTLB_PSI          3
/* PASID-cache (0x7) */
#define VTD_INV_PC_DOMAIN     0
#define VTD_INV_PC_PASID      1
#define VTD_INV_PC_GLOBAL     3
/* PASID-based device-TLB (0x8) */
#define VTD_INV_PDEVTLB_SID(q0)  ((uint16_t)(((q0) >> 16) & 0xffff))
#define VTD_INV_PDEVTLB_G        (1ull << 0)  /* qword 1: all PASIDs' global entries */
#define VTD_INV_PDEVTLB_S        (1ull << 11) /* qword 1: size bit */
/* page-group response (0x9) */
#define VTD_INV_PGRP_PP       (1ull << 4)
#define VTD_INV_PGRP_PDP      (1ull << 5)
#define VTD_INV_PGRP_RC(q0)   ((unsigned)(((q0) >> 12) & 0xf))
#define VTD_INV_PGRP_RID(q0)  ((uint16_t)(((q0) >> 16) & 0xffff))
#define VTD_INV_PGRP_LPIG     (1ull << 2)     /* qword 1 */
#define VTD_INV_PGRP_PRGI(q1) ((unsigned)(((q1) >> 3) & 0x1ff))
enum vtd_prg_response_code {
	VTD_PRG_RESP_SUCCESS = 0x0,
	VTD_PRG_RESP_INVALID = 0x1,
	VTD_PRG_RESP_FAILURE = 0xf,
};

/* Descriptor builders (the encodings software writes into the queue). */
static inline uint64_t vtd_inv_qw0(unsigned type)
{
	return (uint64_t)(type & 0xf) | ((uint64_t)(type & 0x70) << 5);
}

/* ---- 7.5.1 Page request descriptor (written by the unit into the PRQ) ---- */
#define VTD_PRQ_DESC_SIZE   32
#define VTD_PRQ0_TYPE_PAGE_REQ 1
#define VTD_PRQ0_PP         (1ull << 8)
#define VTD_PRQ0_PDP        (1ull << 9)
#define VTD_PRQ0_RID(q0)    ((uint16_t)(((q0) >> 16) & 0xffff))
#define VTD_PRQ0_PASID(q0)  ((uint32_t)(((q0) >> 32) & 0xfffff))
#define VTD_PRQ0_ER         (1ull << 52)
#define VTD_PRQ0_PMR        (1ull << 53)
#define VTD_PRQ1_RD         (1ull << 0)
#define VTD_PRQ1_WR         (1ull << 1)
#define VTD_PRQ1_LPIG       (1ull << 2)
#define VTD_PRQ1_PRGI(q1)   ((unsigned)(((q1) >> 3) & 0x1ff))
#define VTD_PRQ1_ADDR(q1)   ((q1) & VTD_PAGE_MASK)

/* ---- 7.1.3 Fault reasons, scalable mode (condition codes in comments) ---- */
enum vtd_fault_reason {
	VTD_FR_NONE              = 0x00,
	VTD_FR_SM_RTA_INVALID    = 0x30, /* RTA.1: root table address invalid */
	VTD_FR_SM_TTM0_PASID     = 0x31, /* RTA.2: legacy TTM, request with PASID */
	VTD_FR_SM_TTM0_PRQ       = 0x32, /* RTA.3: legacy TTM, page request */
	VTD_FR_SM_ROOT_ACCESS    = 0x38, /* SRT.1 */
	VTD_FR_SM_ROOT_P         = 0x39, /* SRT.2: LP/UP clear */
	VTD_FR_SM_ROOT_RSVD      = 0x3a, /* SRT.3 */
	VTD_FR_SM_CTX_ACCESS     = 0x40, /* SCT.1 */
	VTD_FR_SM_CTX_P          = 0x41, /* SCT.2 */
	VTD_FR_SM_CTX_RSVD       = 0x42, /* SCT.3 */
	VTD_FR_SM_CTX_INVALID    = 0x43, /* SCT.4 */
	VTD_FR_SM_CTX_DTE        = 0x44, /* SCT.5: ATS request, DTE clear */
	VTD_FR_SM_CTX_PASIDE     = 0x45, /* SCT.6: request with PASID, PASIDE clear */
	VTD_FR_SM_CTX_PASID_MAX  = 0x46, /* SCT.7: PASID beyond PDTS */
	VTD_FR_SM_CTX_PRE        = 0x47, /* SCT.8: page request, PRE clear */
	VTD_FR_SM_CTX_RID_PASID  = 0x48, /* SCT.9 */
	VTD_FR_SM_PDE_ACCESS     = 0x50, /* SPD.1 */
	VTD_FR_SM_PDE_P          = 0x51, /* SPD.2 */
	VTD_FR_SM_PDE_RSVD       = 0x52, /* SPD.3 */
	VTD_FR_SM_PTE_ACCESS     = 0x58, /* SPT.1: PASID table entry access */
	VTD_FR_SM_PTE_P          = 0x59, /* SPT.2 */
	VTD_FR_SM_PTE_RSVD       = 0x5a, /* SPT.3 */
	VTD_FR_SM_PTE_INVALID    = 0x5b, /* SPT.4: PGTT/AW/FSPM not supported */
	VTD_FR_SM_PTE_ERE        = 0x5c, /* SPT.5: execute request, ERE clear */
	VTD_FR_SM_PTE_SRE        = 0x5d, /* SPT.6: supervisor request, SRE clear */
	VTD_FR_SM_FS_ACCESS      = 0x70, /* SFS.1 */
	VTD_FR_SM_FS_P           = 0x71, /* SFS.2 */
	VTD_FR_SM_FS_RSVD        = 0x72, /* SFS.3 */
	VTD_FR_SM_FS_PTR_ACCESS  = 0x73, /* SFS.4: top-level (FSPTPTR) access */
	VTD_FR_SM_FS_NEST_MGAW   = 0x74, /* SFS.5: nested, FS entry beyond MGAW */
	VTD_FR_SM_FS_NEST_RD_PTR = 0x75, /* SFS.6: nested, FSPTPTR not readable in SS */
	VTD_FR_SM_FS_NEST_RD     = 0x76, /* SFS.7: nested, FS entry not readable in SS */
	VTD_FR_SM_FS_NEST_WR     = 0x77, /* SFS.8: nested, A/D update not writable in SS */
	VTD_FR_SM_SS_ACCESS      = 0x78, /* SSS.1 */
	VTD_FR_SM_SS_NOT_PRESENT = 0x79, /* SSS.2: R=W=0 on the walk */
	VTD_FR_SM_SS_RSVD        = 0x7a, /* SSS.3 */
	VTD_FR_SM_SS_PTR_INVALID = 0x7b, /* SSS.4 */
	VTD_FR_SM_NON_CANONICAL  = 0x80, /* SGN.1 */
	VTD_FR_SM_US             = 0x81, /* SGN.2: user request, U/S clear */
	VTD_FR_SM_NX             = 0x82, /* SGN.3: execute request, no exec permission */
	VTD_FR_SM_ADDR_BEYOND    = 0x83, /* SGN.4: input address beyond max */
	VTD_FR_SM_OUT_BEYOND     = 0x84, /* SGN.5: SS output address beyond max */
	VTD_FR_SM_WRITE          = 0x85, /* SGN.6 */
	VTD_FR_SM_READ           = 0x86, /* SGN.7 */
	VTD_FR_SM_INTR_RANGE     = 0x87, /* SGN.8: output in interrupt address range */
	VTD_FR_SM_FS_AD_FAILED   = 0x91, /* SFS.10: A/D write-back failed */
};

#endif
