CREATE TABLE "sandboxes" (
	"id" text PRIMARY KEY NOT NULL,
	"state" text NOT NULL,
	"reason" text,
	"message" text,
	"last_transition_at" timestamp with time zone NOT NULL,
	"image" text NOT NULL,
	"entrypoint" jsonb NOT NULL,
	"env" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"resource_limits" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"extensions" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"platform" jsonb,
	"timeout_seconds" integer,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"container_id" text,
	"container_name" text NOT NULL,
	"host_id" text NOT NULL,
	"ports" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"exit_code" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "server_settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mount_refs" (
	"mount_id" text NOT NULL,
	"sandbox_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "mount_refs_mount_id_sandbox_id_pk" PRIMARY KEY("mount_id","sandbox_id")
);
--> statement-breakpoint
CREATE TABLE "mounts" (
	"id" text PRIMARY KEY NOT NULL,
	"identity_key" text NOT NULL,
	"backend" text NOT NULL,
	"spec" jsonb NOT NULL,
	"credential_fingerprint" text,
	"credentials_enc" text,
	"host_path" text NOT NULL,
	"state" text NOT NULL,
	"health" text DEFAULT 'ok' NOT NULL,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"last_error" text,
	"host_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "mounts_identity_key_unique" UNIQUE("identity_key"),
	CONSTRAINT "mounts_host_path_unique" UNIQUE("host_path")
);
--> statement-breakpoint
CREATE TABLE "sandbox_volumes" (
	"sandbox_id" text NOT NULL,
	"name" text NOT NULL,
	"backend" text NOT NULL,
	"mount_path" text NOT NULL,
	"read_only" boolean DEFAULT false NOT NULL,
	"sub_path" text,
	"spec" jsonb NOT NULL,
	"mount_id" text,
	"managed_volume" text,
	CONSTRAINT "sandbox_volumes_sandbox_id_name_pk" PRIMARY KEY("sandbox_id","name")
);
--> statement-breakpoint
CREATE TABLE "events" (
	"seq" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "events_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"id" text NOT NULL,
	"type" text NOT NULL,
	"sandbox_id" text,
	"mount_id" text,
	"from_state" text,
	"to_state" text,
	"reason" text,
	"actor" text NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "events_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE TABLE "webhook_attempts" (
	"id" text PRIMARY KEY NOT NULL,
	"delivery_id" text NOT NULL,
	"attempted_at" timestamp with time zone NOT NULL,
	"status_code" integer,
	"duration_ms" integer NOT NULL,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "webhook_cursor" (
	"name" text PRIMARY KEY NOT NULL,
	"last_seq" bigint NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"endpoint_id" text NOT NULL,
	"event_seq" bigint NOT NULL,
	"event_id" text NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"last_status_code" integer,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_endpoints" (
	"id" text PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"description" text,
	"secret_enc" text NOT NULL,
	"event_types" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"disabled_reason" text,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "mount_refs" ADD CONSTRAINT "mount_refs_mount_id_mounts_id_fk" FOREIGN KEY ("mount_id") REFERENCES "public"."mounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mount_refs" ADD CONSTRAINT "mount_refs_sandbox_id_sandboxes_id_fk" FOREIGN KEY ("sandbox_id") REFERENCES "public"."sandboxes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sandbox_volumes" ADD CONSTRAINT "sandbox_volumes_sandbox_id_sandboxes_id_fk" FOREIGN KEY ("sandbox_id") REFERENCES "public"."sandboxes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sandbox_volumes" ADD CONSTRAINT "sandbox_volumes_mount_id_mounts_id_fk" FOREIGN KEY ("mount_id") REFERENCES "public"."mounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_delivery_id_webhook_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "public"."webhook_deliveries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_endpoint_id_webhook_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."webhook_endpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sandboxes_live_created_idx" ON "sandboxes" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE "sandboxes"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX "sandboxes_expiry_idx" ON "sandboxes" USING btree ("expires_at") WHERE "sandboxes"."deleted_at" is null and "sandboxes"."expires_at" is not null;--> statement-breakpoint
CREATE INDEX "sandboxes_metadata_idx" ON "sandboxes" USING gin ("metadata" jsonb_path_ops);--> statement-breakpoint
CREATE INDEX "sandboxes_container_idx" ON "sandboxes" USING btree ("container_id");--> statement-breakpoint
CREATE INDEX "mount_refs_sandbox_idx" ON "mount_refs" USING btree ("sandbox_id");--> statement-breakpoint
CREATE INDEX "mounts_state_idx" ON "mounts" USING btree ("state");--> statement-breakpoint
CREATE INDEX "sandbox_volumes_managed_idx" ON "sandbox_volumes" USING btree ("managed_volume") WHERE "sandbox_volumes"."managed_volume" is not null;--> statement-breakpoint
CREATE INDEX "events_sandbox_seq_idx" ON "events" USING btree ("sandbox_id","seq");--> statement-breakpoint
CREATE INDEX "events_created_idx" ON "events" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "webhook_attempts_delivery_idx" ON "webhook_attempts" USING btree ("delivery_id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due_idx" ON "webhook_deliveries" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_endpoint_seq_idx" ON "webhook_deliveries" USING btree ("endpoint_id","event_seq");