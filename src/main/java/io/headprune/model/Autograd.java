package io.headprune.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * PyTorch records operations for a backward pass unless told not to, and that switch is per thread:
 * DJL turns it off only on the thread that loaded the engine. A job's worker thread would otherwise
 * keep every activation of an inference pass alive for a backward that never comes.
 */
public final class Autograd {

  private Autograd() {}

  /**
   * No recording on the calling thread (a gradient collector turns it on for its own extent and
   * restores it after).
   */
  public static void offForThisThread() {
    if ("PyTorch".equals(Engine.getDefaultEngineName())) {
      JniUtils.setGradMode(false);
    }
  }
}
