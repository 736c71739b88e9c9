CREATE TABLE "snapshots" (
	"id" text PRIMARY KEY NOT NULL,
	"sandbox_id" text NOT NULL,
	"name" text,
	"state" text NOT NULL,
	"reason" text,
	"message" text,
	"last_transition_at" timestamp with time zone NOT NULL,
	"image_ref" text NOT NULL,
	"image_id" text,
	"host_id" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sandboxes" ADD COLUMN "snapshot_id" text;--> statement-breakpoint
CREATE INDEX "snapshots_created_idx" ON "snapshots" USING btree ("created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "snapshots_sandbox_idx" ON "snapshots" USING btree ("sandbox_id");--> statement-breakpoint
CREATE INDEX "snapshots_in_flight_idx" ON "snapshots" USING btree ("state") WHERE "snapshots"."state" in ('Creating', 'Deleting');--> statement-breakpoint
CREATE INDEX "sandboxes_snapshot_idx" ON "sandboxes" USING btree ("snapshot_id") WHERE "sandboxes"."snapshot_id" is not null;