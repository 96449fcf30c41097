using Pluralistic.Models.BradleyTerry;
using Pluralistic.Models.Dpa;
using Pluralistic.Models.Fspo;
using Pluralistic.Models.MaxMin;
using Pluralistic.Models.Pal;
using Pluralistic.Models.Vpl;
using Pluralistic.Torch;

namespace Pluralistic.Models;

/// <summary>The SDK's built-in methods, registered in one place.</summary>
public static class RewardModelKinds
{
    /// <summary>
    /// The Bradley-Terry baseline and the five personalised methods, in the order the product lists them. Add an
    /// application's own kind with <c>RewardModelKinds.BuiltIn.With(new MyKind())</c>.
    /// </summary>
    public static RewardModelKindRegistry BuiltIn { get; } = new(
    [
        BradleyTerryKind.Instance,
        PalKind.Instance,
        VplKind.Instance,
        MaxMinKind.Instance,
        DpaKind.Instance,
        FspoKind.Instance,
    ]);
}
