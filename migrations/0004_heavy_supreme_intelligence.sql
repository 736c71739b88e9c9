ALTER TABLE "mount_refs" DROP CONSTRAINT "mount_refs_mount_id_mounts_id_fk";
--> statement-breakpoint
ALTER TABLE "sandbox_volumes" DROP CONSTRAINT "sandbox_volumes_mount_id_mounts_id_fk";
