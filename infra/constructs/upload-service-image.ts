import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Stack, Stage } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import esbuild from 'esbuild';
import type { Construct } from 'constructs';
import { nodeBundleOptions } from './function-code.js';

const dockerfileDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'docker', 'upload-service');

/**
 * The upload service's container image, built from the committed Dockerfile around an esbuild
 * bundle of the Node entry.
 *
 * Why a bundle made at synth rather than `npm ci` inside `docker build`: synth already needs the
 * esbuild of devDependencies for the Lambda functions, so the image gets the same toolchain and
 * the same locked dependencies; the Docker build copies one file (fast, no registry access, no
 * emulation for arm64); and the asset hash changes only when the bundled code does. Synth never
 * runs Docker: `cdk deploy` builds and pushes the image.
 *
 * Like `NodejsFunction`, it skips bundling for stacks the CLI is not deploying (the
 * `aws:cdk:bundling-stacks` context), which keeps `cdk deploy dev/*` and the tests fast; the
 * asset then points at the bare Dockerfile directory and must not be deployed.
 */
export function uploadServiceImage(scope: Construct, entry: string): ContainerImage {
  if (!fs.existsSync(entry)) {
    throw new Error(`Cannot find the upload service entry file at ${entry}`);
  }
  if (!Stack.of(scope).bundlingRequired) {
    return ContainerImage.fromAsset(dockerfileDir, { platform: Platform.LINUX_ARM64 });
  }
  return ContainerImage.fromAsset(bundleOnce(scope, entry), { platform: Platform.LINUX_ARM64 });
}

const bundles = new Map<string, string>();

/** One bundle per assembly and entry: every region of every stage ships the same code. */
function bundleOnce(scope: Construct, entry: string): string {
  const root = scope.node.root;
  if (!Stage.isStage(root)) throw new Error('The upload service image must be built inside a CDK App');
  const dir = path.join(root.outdir, 'bundling-upload-service');
  const key = `${dir}\0${entry}`;
  const existing = bundles.get(key);
  if (existing) return existing;

  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'dist'), { recursive: true });
  esbuild.buildSync({
    entryPoints: [entry],
    outfile: path.join(dir, 'dist', 'upload-server.mjs'),
    ...nodeBundleOptions,
  });
  fs.copyFileSync(path.join(dockerfileDir, 'Dockerfile'), path.join(dir, 'Dockerfile'));
  bundles.set(key, dir);
  return dir;
}
